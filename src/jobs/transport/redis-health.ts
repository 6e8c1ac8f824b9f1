/** Whether a Redis connection answers now: its state first (a command would wait for a reconnect), then a PING. */
import type { Redis } from 'ioredis';
import type { PartHealth } from '../../ops/health.js';

export async function redisHealth(redis: Redis): Promise<PartHealth> {
  if (redis.status !== 'ready') return { part: 'redis', up: false, detail: `connection ${redis.status}` };
  const answer = await redis.ping();
  return answer === 'PONG' ? { part: 'redis', up: true } : { part: 'redis', up: false, detail: `PING answered ${answer}` };
}
