/**
 * The operator's HTTP port, apart from the web page's: /healthz (JSON of the parts; 200 when all are
 * up, 503 when one is down) and /metrics (Prometheus text). Bound to 127.0.0.1 unless told otherwise:
 * it has no accounts, and the metrics name devices and workers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthReport, type PartHealth } from './health.js';
import type { OpsMetrics } from './metrics.js';

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (see `port` on the handle). */
  port: number;
  metrics: OpsMetrics;
  health: () => Promise<PartHealth[]>;
  log: Pick<Console, 'error'>;
}

export interface OpsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const answer = async () => {
      if (path === '/healthz') {
        const report = healthReport(await opts.health());
        res.writeHead(report.status === 'up' ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(report));
      } else if (path === '/metrics') {
        const text = await opts.metrics.text();
        res.writeHead(200, { 'content-type': opts.metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: try /healthz or /metrics\n');
      }
    };
    answer().catch((err: unknown) => {
      opts.log.error(`The operator port could not answer ${path}:`, err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
