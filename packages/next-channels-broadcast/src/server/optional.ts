/**
 * Optional peer dependencies (ioredis, postgres, drizzle-orm, @electric-sql/pglite, @upstash/redis)
 * are loaded only when their feature is used, and a missing one is reported by name with the
 * command that installs it — instead of a bare "Cannot find module".
 */
import { NotificationError } from "../shared/errors.js";

/** A feature was asked for whose package is not installed. */
export class MissingDependencyError extends NotificationError {
  /** The npm package to install. */
  readonly dependency: string;

  constructor(dependency: string, feature: string, options?: { cause?: unknown }) {
    super("MISSING_DEPENDENCY", `${feature} needs the package ${dependency}, which is not installed: npm install ${dependency}`, options);
    this.dependency = dependency;
  }
}

function isModuleNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(name);
}

/**
 * Runs `load` (a dynamic `import()` of a module that needs `dependency`), turning "module not
 * found" for that package into a `MissingDependencyError` that names it and `feature`.
 *
 * @example
 * const { createRedisLayer } = await loadOptional("ioredis", "REDIS_URL (the Redis layer)", () => import("./layer/redis.js"));
 */
export async function loadOptional<T>(dependency: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error, dependency)) throw new MissingDependencyError(dependency, feature, { cause: error });
    throw error;
  }
}
