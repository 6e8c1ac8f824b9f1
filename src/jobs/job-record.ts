/**
 * What a job is, as the store keeps it and the transports and workers read it: its kind, the options
 * it runs with (settled, nothing left to choose), its inputs and where its conversation lives.
 */

export type Platform = 'discord' | 'slack' | 'web' | 'cli';

/** Where a job's conversation lives, as stored in the job store (enough to post there after a restart). */
export interface ThreadRef {
  channel: string;
  /** Platform thread id (Discord thread channel id, Slack thread_ts, web conversation id), once one exists. */
  thread?: string;
  /** Anything else the front end needs to find the place again (JSON-serializable). */
  extra?: Record<string, string>;
}

export type JobKind = 'stylize' | 'palette';
export type TilesSetting = number | 'auto';
/** 'auto': a tiled style is cut to its subject (a face, an object on a plain background); 'none': kept whole. */
export type CropSetting = 'auto' | 'none';
/** A part of a picture as fractions of its upright width and height (the engine's CropBox). */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}
/** 'manual' when the user gave style_weight or content_weight: those are used as they are. */
export type Balance = 'auto' | 'manual';

/** The operator's defaults for every option a user may set but the seed (drawn at random when not given). */
export interface OptionDefaults {
  tiles: TilesSetting;
  size: number;
  iterations: number;
  /** 1–10: how far the style may take over; the engine balances content and style from it. */
  strength: number;
  styleWeight: number;
  contentWeight: number;
  preserveColors: boolean;
  /** Absent in records from before the option: 'auto'. */
  crop?: CropSetting;
}

/** The options a job runs with (stored with it): every default filled in, the tiles a number, the balance decided. */
export type JobOptions = Omit<OptionDefaults, 'tiles'> & {
  tiles: number;
  /** Why the tiles were chosen, when they were chosen from the style image. */
  tilesReason?: string;
  /** crop=auto settled before queueing: the part of the style each copy repeats (null: the whole picture). */
  cropBox?: CropBox | null;
  /** What the style was cut to, or why not, in a few words. */
  cropReason?: string;
  seed: number;
  balance: Balance;
  /** A palette sweep (tiles=sweep): the palettes at 1, 2, 4 and 8 tiles in one picture. */
  sweep?: boolean;
  /** false: a stylize job goes straight to its result without showing the style's palette first (the user's setting). */
  showPalette?: boolean;
};

/** The palette's seed is fixed unless given, so a style's palette is the same every time and can be cached. */
export const PALETTE_SEED = 0;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * Where a finished job's last replies went: its own thread, the channel (the thread refused them),
 * a direct message to the user, the web page's conversation for results that reached no one (when the
 * web front end runs beside the bots), or nowhere yet ('undelivered': kept, shown by `status`, retried
 * at the next start). Absent until the job's final replies were tried.
 */
export type Delivery = 'thread' | 'channel' | 'dm' | 'web' | 'undelivered';

export interface JobInputs {
  /** sha256 of the content image (stylize only). */
  content?: string;
  /** sha256 of the style image. */
  style: string;
  /** sha256 of the result an upscale job starts from (upscale only). */
  previous?: string;
}

/** What a job makes: a stylized picture, a palette, or a result redrawn at twice its size from itself. */
export type RecordKind = JobKind | 'upscale';

export interface JobRecord {
  id: string;
  platform: Platform;
  user: { id: string; name?: string };
  /** The Discord server or Slack workspace it came from (absent in DMs, on the web page): what its quota counts. */
  server?: string;
  where: ThreadRef;
  kind: RecordKind;
  options: JobOptions;
  inputs: JobInputs;
  /** The job this one re-runs, if any. */
  parentId?: string;
  state: JobState;
  device?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** What the user was told went wrong (failed jobs). */
  error?: string;
  /** Where its final replies went (see Delivery). */
  delivery?: Delivery;
}
