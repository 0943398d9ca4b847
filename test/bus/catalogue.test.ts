import { describe, expect, it } from 'vitest';
import { BUS_CATALOGUE, type BusEventName } from '../../src/bus/events.js';
import { methodCallsWithLiteral, sourceFiles } from '../helpers/source-scan.js';

const calls = methodCallsWithLiteral(sourceFiles(), ['emit', 'on']);
/** The bus is always reached as `bus`, `deps.bus`, `this.opts.bus`, … */
const onBus = (receiver: string) => /(^|\.)bus$/.test(receiver);

/** What src/ really does: for each name given to `<…>bus.emit(…)` / `.on(…)`, the modules that do it. */
function scan(): Map<string, { producers: Set<string>; consumers: Set<string> }> {
  const found = new Map<string, { producers: Set<string>; consumers: Set<string> }>();
  for (const call of calls) {
    if (!onBus(call.receiver)) continue;
    const entry = found.get(call.name) ?? { producers: new Set(), consumers: new Set() };
    (call.method === 'emit' ? entry.producers : entry.consumers).add(call.module);
    found.set(call.name, entry);
  }
  return found;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('bus event catalogue (src/bus/events.ts) against the code', () => {
  const found = scan();
  const names = Object.keys(BUS_CATALOGUE) as BusEventName[];

  it('the code emits and handles only catalogued events', () => {
    expect(sorted(found.keys()).filter((n) => !(n in BUS_CATALOGUE))).toEqual([]);
  });

  it.each(names)('%s: its producers and consumers are exactly the modules that emit and handle it', (name) => {
    const real = found.get(name);
    expect({ producers: sorted(real?.producers ?? []), consumers: sorted(real?.consumers ?? []) }).toEqual({
      producers: sorted(BUS_CATALOGUE[name].producers),
      consumers: sorted(BUS_CATALOGUE[name].consumers),
    });
  });

  it('no catalogued event goes through a receiver the scan would miss (the bus under another name)', () => {
    const elsewhere = calls.filter((c) => !onBus(c.receiver) && c.name in BUS_CATALOGUE);
    expect(elsewhere.map((c) => `${c.module}: ${c.receiver}.${c.method}('${c.name}')`)).toEqual([]);
  });

  it('every catalogued event is emitted somewhere', () => {
    expect(names.filter((n) => BUS_CATALOGUE[n].producers.length === 0)).toEqual([]);
  });
});
