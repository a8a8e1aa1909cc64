/**
 * The demo app's database: one lazily opened Drizzle instance per process (PGlite or PostgreSQL),
 * its schema, and the user/article helpers.
 */
export {
  getDb,
  getReadyDb,
  migrateDatabase,
  closeDatabase,
  getDatabaseKind,
  databaseTarget,
  redactDatabaseUrl,
  acquirePgliteLock,
  releasePgliteLock,
  DatabaseLockedError,
  DatabaseConnectionError,
  DEFAULT_PGLITE_DATA_DIR,
  PGLITE_LOCK_FILE,
  schema,
  type Database,
} from "./client";
export { users, articles, type User, type Article } from "./schema";
export {
  createUser,
  verifyUser,
  findUserByUsername,
  findUserById,
  normalizeUsername,
  isValidUsername,
  hashPassword,
  verifyPassword,
  UserError,
  DuplicateUsernameError,
  InvalidUsernameError,
  InvalidPasswordError,
  USERNAME_PATTERN,
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
  type PublicUser,
  type UserErrorCode,
} from "./users";
export { listArticles, findArticle } from "./articles";
