/**
 * The demo app's database: one lazily opened Drizzle instance per process (PGlite or PostgreSQL),
 * its schema, and the user/article/comment helpers.
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
export { users, articles, comments, USER_ROLES, type User, type UserRole, type Article, type Comment } from "./schema";
export {
  createUser,
  deleteUser,
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
  type CreateUserOptions,
  type UserErrorCode,
} from "./users";
export { listArticles, findArticle, createArticle } from "./articles";
export { listComments, addComment, MAX_COMMENT_LENGTH, type CommentView } from "./comments";
