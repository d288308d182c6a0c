import type { NetworkEvent } from '@sbx/sandboxd';
import { describe, expect, it } from 'vitest';
import { formatNetworkEvent } from './network-log.handler.ts';

const event: NetworkEvent = {
  ts: '2026-11-28T00:00:00.000Z',
  sandbox: 'box',
  type: 'request',
  method: 'GET',
  url: 'https://api.example.com:443/v1',
  host: 'api.example.com',
  port: 443,
  address: '192.0.2.1',
  action: 'allowed',
  rule: 'api.example.com',
  status: 200,
  bytesIn: 10,
  bytesOut: 0,
  durationMs: 12.6,
};

describe('formatNetworkEvent', () => {
  it('shows the decision, the rule behind it, the status and the duration', () => {
    expect(formatNetworkEvent(event)).toBe(
      '2026-11-28T00:00:00.000Z sandbox=box request GET https://api.example.com:443/v1 allowed status=200 rule=api.example.com 13ms',
    );
  });

  it('names the default policy and a missing status or sandbox', () => {
    const tunnel: NetworkEvent = {
      ...event,
      sandbox: null,
      type: 'tunnel',
      method: 'CONNECT',
      url: 'tcp://10.0.0.1:22',
      action: 'denied',
      rule: null,
      status: 0,
      durationMs: 0.2,
    };
    expect(formatNetworkEvent(tunnel)).toBe(
      '2026-11-28T00:00:00.000Z sandbox=- tunnel CONNECT tcp://10.0.0.1:22 denied status=- rule=(default) 0ms',
    );
  });
});
