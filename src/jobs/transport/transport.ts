/**
 * The seam between the front end's job tracking and where jobs run: in this process (p-queue per
 * device) or on workers elsewhere (BullMQ on Redis). The front end hands a job over with a listener
 * and hears back through it; it never sees an engine.
 */
import type { RunSink } from '../run-job.js';
import type { JobRecord } from '../job-record.js';
import type { PartHealth } from '../../ops/health.js';

export interface DeviceLoad {
  device: string;
  running: number;
  waiting: number;
}

export interface Placement {
  device: string;
  /** 0 = starts now (or runs); otherwise the place in the waiting line (1 = next). */
  position: number;
}

/** An error found where the job ran (another machine) whose message is meant for the user. */
export class UserFacingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFacingError';
  }
}

export type RunOutcome = { ok: true; device: string } | { ok: false; error: unknown };

/** What the front end is told about one job. */
export interface JobListener {
  /** The job is about to run on `device`; false keeps it from running (cancelled or pausing). */
  starting(device: string): Promise<boolean>;
  /** Its place in the line changed. */
  moved(placement: Placement): void;
  readonly sink: RunSink;
  /** It ran to the end (its images already went through the sink) or stopped with an error. */
  finished(outcome: RunOutcome): Promise<void>;
}

export interface Transport {
  /** Puts a job in line; resolves with where it went. */
  enqueue(record: JobRecord, listener: JobListener): Promise<Placement>;
  /** Takes a waiting job out of line; false when it is not waiting. */
  remove(jobId: string): Promise<boolean>;
  /** Stops a running job within a step (its listener hears a cancellation). */
  abort(jobId: string): Promise<void>;
  /**
   * The operators' pause where jobs are taken by others (Redis workers): while held, no waiting job
   * starts and running ones finish. Absent where the front end starts its jobs itself (it holds them
   * at JobListener.starting).
   */
  hold?(paused: boolean): Promise<void>;
  /** Whether a new job would have to wait. */
  wouldWait(): boolean;
  find(jobId: string): Promise<Placement | undefined>;
  loads(): Promise<DeviceLoad[]>;
  /** Names of the places jobs run (devices, or workers). */
  readonly devices: string[];
  /**
   * The front end stops: jobs that cannot outlive it are taken out of line (their ids returned; they
   * stay queued in the store) or stopped (their listeners hear it); resolves once that is done.
   */
  pause(): Promise<string[]>;
  /** Resolves once no job handed over by this front end is waiting or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
  /** Whether the queue and each place jobs run are up (for /healthz). */
  health?(): Promise<PartHealth[]>;
}
