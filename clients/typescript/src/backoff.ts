/** Full-jitter exponential backoff: a delay drawn uniformly from [0, min(max, initial·factor^n)). */
import type { WscBackoff } from "./types.js";

export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export function backoffConfig(b: WscBackoff | undefined): BackoffConfig {
  return { initialMs: b?.initialMs ?? 500, maxMs: b?.maxMs ?? 30000, factor: b?.factor ?? 2 };
}

/** The delay before attempt number `attempt` (0 for the first retry). */
export function backoffDelay(cfg: BackoffConfig, attempt: number, random = Math.random): number {
  const bound = Math.min(cfg.maxMs, cfg.initialMs * Math.pow(cfg.factor, attempt));
  return Math.floor(random() * bound);
}
