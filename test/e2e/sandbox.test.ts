import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

describe('wagate sandbox', () => {
  it('runs the README tour script: links, then every expected receipt, reaction and reply arrives', async () => {
    const res = await runCli(['sandbox', '--script', path.join(ROOT, 'examples/sandbox-tour.txt'), '--timeout', '15'], { HOME: process.env.HOME });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('✓ linked the sandbox account as +15550000001');
    expect(res.stdout).toContain('✓✓ read by the gateway');
    expect(res.stdout).toContain('👀 ack reaction');
    // What a contact typed: the arrow names the gateway's linked number (or the group), not the sender again.
    expect(res.stdout).toContain('you (+15551234567) → wagate (+15550000001): hello');
    expect(res.stdout).toContain('you (+15557654321) → wagate (+15550000001): good morning');
    expect(res.stdout).toContain('you (+15551234567) → team: lunch at noon?');
    expect(res.stdout).not.toContain('→ +15551234567: hello');
    expect(res.stdout).toContain('wagate → +15551234567: echo: hello');
    expect(res.stdout).toContain('wagate → +15557654321: echo: good morning');
    expect(res.stdout).toMatch(/wagate → team: echo: @\d+ are you coming\?/);
    expect(res.stdout).not.toContain('echo: lunch at noon?');
    expect(res.stdout).toContain('sandbox script: every expectation met.');
  });

  it('a script whose expectation is never met exits 1 and names the line', async () => {
    const fs = await import('node:fs');
    const file = path.join(tmpDir('sb'), 'bad.txt');
    fs.writeFileSync(file, 'hello\nexpect something that never comes\n');
    const res = await runCli(['sandbox', '--script', file, '--timeout', '2'], { HOME: process.env.HOME });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${file}:2: "expect something that never comes" not met within 2 s`);
  });

  it('/login-code links the account again by pairing code (the simulated phone enters it), and replies still arrive', async () => {
    const fs = await import('node:fs');
    const file = path.join(tmpDir('sb'), 'code.txt');
    fs.writeFileSync(file, '/login-code\nhello again\nexpect echo: hello again\n');
    const res = await runCli(['sandbox', '--script', file, '--timeout', '15'], { HOME: process.env.HOME });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Pairing code: [A-Z0-9]{4}-[A-Z0-9]{4}$/m);
    expect(res.stdout).toContain('Link with phone number instead');
    expect(res.stdout.match(/✓ linked the sandbox account as \+15550000001/g)).toHaveLength(2);
    expect(res.stdout).toContain('wagate → +15551234567: echo: hello again');
  });
});
