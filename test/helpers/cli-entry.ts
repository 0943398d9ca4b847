// Runs the wagate CLI from source in a child process (tests spawn it with `node --import tsx`),
// ending the way bin/wagate.js does: exit once the command has finished, without waiting
// for timers a library may leave behind (Baileys rc14 keeps a 30 s prekey-upload timer).
import { main } from '../../src/cli/main.js';

const code = await main(process.argv.slice(2));
process.exit(typeof code === 'number' ? code : 0);
