import { inflateSync } from 'node:zlib';
import { encodePng } from '../../src/reports/png-canvas';
import { CHART_COLORS, weeklyChartPng, weeklyFigures } from '../../src/reports/weekly-chart';
import type { ReportIncidentRow } from '../../src/domain/report';

const MIN = 60_000;

/** Reads a PNG the way a viewer does: signature, chunk CRCs, IHDR, the inflated scanlines (filter 0 only). */
function decodePng(png: Buffer): { width: number; height: number; pixel(x: number, y: number): [number, number, number] } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('ascii');
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    expect(crc).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width * 3 + 1) * height);
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * (width * 3 + 1) + 1 + x * 3;
      expect(raw[y * (width * 3 + 1)]).toBe(0);
      return [raw[i]!, raw[i + 1]!, raw[i + 2]!];
    },
  };
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const row = (start: string, ackMin: number | null, resolveMin: number | null): ReportIncidentRow => {
  const s = new Date(start);
  return {
    id: `INC-${start.replace(/\D/g, '').slice(0, 14)}`,
    severity: 'P1',
    status: resolveMin === null ? 'open' : 'resolved',
    startedAt: s,
    acknowledgedAt: ackMin === null ? null : new Date(s.getTime() + ackMin * MIN),
    resolvedAt: resolveMin === null ? null : new Date(s.getTime() + resolveMin * MIN),
  };
};

describe('the weekly MTTA/MTTR chart', () => {
  const until = new Date('2026-11-26T12:00:00Z');
  const rows = [
    row('2026-11-25T10:00:00Z', 4, 30),
    row('2026-11-24T10:00:00Z', 10, 90),
    row('2026-11-24T11:00:00Z', 6, null),
    row('2026-11-10T10:00:00Z', 2, 20),
  ];

  it('cuts the window into weeks ending now, with the medians of the incidents that began in each', () => {
    const weeks = weeklyFigures(rows, until, 30);
    expect(weeks.map((w) => w.start.toISOString().slice(0, 10))).toEqual([
      '2026-10-22',
      '2026-10-29',
      '2026-11-05',
      '2026-11-12',
      '2026-11-19',
    ]);
    expect(weeks.map((w) => [w.mttaMinutes, w.mttrMinutes])).toEqual([
      [null, null],
      [null, null],
      [2, 20],
      [null, null],
      [6, 30],
    ]);
  });

  it('is a valid PNG with the MTTA and MTTR bars where the weeks have figures, and none where they have not', () => {
    const png = weeklyChartPng(weeklyFigures(rows, until, 30));
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([760, 380]);
    // Plot: x from 70 to 740 in 5 groups of 134 px, y from 50 to 330; the last week's bars are the tallest (MTTR 30 of 50).
    const groupCenter = (i: number) => Math.round(70 + i * 134 + 67);
    const colorsIn = (i: number) => {
      const seen = new Set<string>();
      for (let x = groupCenter(i) - 30; x < groupCenter(i) + 30; x++) seen.add(img.pixel(x, 325).join(','));
      return seen;
    };
    expect(colorsIn(4)).toEqual(new Set([CHART_COLORS.background.join(','), CHART_COLORS.mtta.join(','), CHART_COLORS.mttr.join(',')]));
    expect(colorsIn(2).has(CHART_COLORS.mttr.join(','))).toBe(true);
    expect(colorsIn(0)).toEqual(new Set([CHART_COLORS.background.join(',')]));
    // MTTR 30 min on a 0–50 axis reaches 60 % of the 280-px plot; MTTA 6 min 12 %.
    const mttrX = [...Array(60).keys()]
      .map((d) => groupCenter(4) - 30 + d)
      .find((x) => img.pixel(x, 325).join(',') === CHART_COLORS.mttr.join(','))!;
    const top = [...Array(280).keys()].map((d) => 330 - 1 - d).filter((y) => img.pixel(mttrX, y).join(',') === CHART_COLORS.mttr.join(','));
    expect(top.length).toBeGreaterThanOrEqual(166);
    expect(top.length).toBeLessThanOrEqual(170);
  });

  it('encodes any raster losslessly', () => {
    const rgb = new Uint8Array(3 * 4 * 2).map((_, i) => (i * 37) % 256);
    const img = decodePng(encodePng(4, 2, rgb));
    expect(img.pixel(3, 1)).toEqual([...rgb.subarray(21, 24)]);
    expect(img.pixel(0, 0)).toEqual([...rgb.subarray(0, 3)]);
  });
});
