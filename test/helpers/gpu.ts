/**
 * Whether this machine has a GPU device node (DRM or NVIDIA). Tests of the fallback to the CPU run
 * where there is none, so what they expect is known before they run, whatever the outcome.
 */
import { existsSync, readdirSync } from 'node:fs';

export const HAS_GPU_DEVICE = existsSync('/dev/dri') || readdirSync('/dev').some((name) => /^nvidia\d/.test(name));
