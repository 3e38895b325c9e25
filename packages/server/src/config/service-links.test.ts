// The service-link classifier against literal environments, written out as the kubelet writes them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  OTHERS,
  SWITCHBOARD,
  SWITCHBOARD_2_SIG,
  SWITCHBOARD_REDIS,
  SWITCHBOARD_SERVER,
} from '../../../../tests/helpers/service-links.ts';
import { serviceLinks } from './service-links.ts';

function names(env: Record<string, string>): string[] {
  return [...serviceLinks(env).keys()].sort();
}

describe('serviceLinks', () => {
  it('recognises every variable the kubelet writes for Services named switchboard and switchboard-…', () => {
    const env = {
      ...SWITCHBOARD,
      ...SWITCHBOARD_SERVER,
      ...SWITCHBOARD_REDIS,
      ...SWITCHBOARD_2_SIG,
      ...OTHERS,
    };
    const links = serviceLinks(env);
    const expected = { ...SWITCHBOARD, ...SWITCHBOARD_SERVER, ...SWITCHBOARD_REDIS, ...SWITCHBOARD_2_SIG };
    assert.deepEqual([...links.keys()].sort(), Object.keys(expected).sort());
    assert.equal(links.get('SWITCHBOARD_PORT_7946_UDP_ADDR'), 'switchboard');
    assert.equal(links.get('SWITCHBOARD_SERVER_PORT'), 'switchboard-server');
    assert.equal(links.get('SWITCHBOARD_REDIS_PORT'), 'switchboard-redis');
    assert.equal(links.get('SWITCHBOARD_2_SIG_PORT_3868_SCTP'), 'switchboard-2-sig');
  });

  it('leaves everything else alone: options, typos, and an empty environment', () => {
    assert.deepEqual(names({}), []);
    assert.deepEqual(
      names({ ...SWITCHBOARD, SWITCHBOARD_SERVER_PORT: '3000', SWITCHBOARD_LOGLEVEL: 'debug', PORT: '8080' }),
      Object.keys(SWITCHBOARD).sort(),
    );
  });

  it('needs the anchor: S_SERVICE_HOST an IP address and S_SERVICE_PORT a port', () => {
    const { SWITCHBOARD_SERVICE_HOST: _host, ...noHost } = SWITCHBOARD;
    assert.deepEqual(names(noHost), [], 'without SWITCHBOARD_SERVICE_HOST (a Docker link, or by hand)');
    const { SWITCHBOARD_SERVICE_PORT: _port, ...noPort } = SWITCHBOARD;
    assert.deepEqual(names(noPort), []);
    assert.deepEqual(names({ ...SWITCHBOARD, SWITCHBOARD_SERVICE_HOST: 'switchboard.default.svc' }), []);
    assert.deepEqual(names({ ...SWITCHBOARD, SWITCHBOARD_SERVICE_PORT: 'http' }), []);
    assert.deepEqual(names({ SWITCHBOARD_PORT: '8080' }), []);
    assert.deepEqual(names({ SWITCHBOARD_PORT: 'tcp://10.0.0.12:8080' }), []);
  });

  it('refuses a value that is not what the kubelet writes under that name', () => {
    const anchor = { SWITCHBOARD_SERVICE_HOST: '10.0.0.12', SWITCHBOARD_SERVICE_PORT: '8080' };
    const wrong: Record<string, string> = {
      SWITCHBOARD_PORT: '8080',
      SWITCHBOARD_PORT_8080_TCP: 'tcp://10.0.0.12:9090',
      SWITCHBOARD_PORT_8081_TCP: 'udp://10.0.0.12:8081',
      SWITCHBOARD_PORT_8082_TCP: 'tcp://fd00::1:8082',
      SWITCHBOARD_PORT_8083_TCP: 'tcp://switchboard:8083',
      SWITCHBOARD_PORT_8080_TCP_PROTO: 'TCP',
      SWITCHBOARD_PORT_8080_UDP_PROTO: 'tcp',
      SWITCHBOARD_PORT_8080_TCP_PORT: '80',
      SWITCHBOARD_PORT_8080_TCP_ADDR: 'localhost',
      SWITCHBOARD_PORT_0_TCP_PORT: '0',
      SWITCHBOARD_PORT_70000_TCP_PORT: '70000',
      SWITCHBOARD_PORT_8080_HTTP: 'http://10.0.0.12:8080',
      SWITCHBOARD_SERVICE_PORT_HTTP: 'http',
      SWITCHBOARD_SERVICE_PORT_GRPC: '08080',
      SWITCHBOARD_SERVICE_PORT_: '8080',
      SWITCHBOARD_SERVICE_ADDR: '10.0.0.12',
    };
    for (const [name, value] of Object.entries(wrong))
      assert.deepEqual(names({ ...anchor, [name]: value }), Object.keys(anchor).sort(), `${name}=${value}`);
  });
});
