import { describe, expect, it } from 'vitest';
import { eventUrl, newEvent } from './events.ts';

describe('newEvent', () => {
  it('stamps the current time in ISO 8601 with milliseconds', async () => {
    const stamps: [number, string, number][] = [];
    for (let i = 0; i < 40; i++) {
      const before = Date.now();
      const { ts } = newEvent(null, 'request', 'GET');
      stamps.push([before, ts, Date.now()]);
      await new Promise((r) => setTimeout(r, i % 4));
    }
    const wrong = stamps.filter(
      ([before, ts, after]) =>
        new Date(ts).toISOString() !== ts || Date.parse(ts) < before || Date.parse(ts) > after,
    );
    expect(wrong).toEqual([]);
  });
});

describe('eventUrl', () => {
  it.each([
    ['https', 'example.com', 443, '/a?key=secret&flag', 'https://example.com:443/a?key=&flag'],
    ['http', '::1', 8080, '/', 'http://[::1]:8080/'],
    ['tcp', '10.0.0.1', 22, '', 'tcp://10.0.0.1:22'],
  ])('%s %s %d %s -> %s', (scheme, host, port, path, url) => {
    expect(eventUrl(scheme, host, port, path)).toBe(url);
  });
});
