/**
 * Demo accounts: creation with validated usernames and scrypt password hashes (the first account
 * of an empty database can be made admin, race-free), verification in constant time (also when
 * the user does not exist), deletion.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { getReadyDb } from "./client";
import { users, type User, type UserRole } from "./schema";

/** 3–32 characters of `a-z`, `0-9`, `_`, `.`, `-` (after lowercasing). */
export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
export const MIN_PASSWORD_LENGTH = 8;
/** Upper bound so a huge body cannot make hashing expensive. */
export const MAX_PASSWORD_LENGTH = 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 64, saltLength: 16 } as const;

export type UserErrorCode = "DUPLICATE_USERNAME" | "INVALID_USERNAME" | "INVALID_PASSWORD";

/** Base class of the errors `createUser` throws on purpose; `message` is fit for end users. */
export class UserError extends Error {
  readonly code: UserErrorCode;

  constructor(code: UserErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The username is taken. */
export class DuplicateUsernameError extends UserError {
  constructor(username: string) {
    super("DUPLICATE_USERNAME", `The username "${username}" is already taken.`);
  }
}

/** The username does not match `USERNAME_PATTERN`. */
export class InvalidUsernameError extends UserError {
  constructor(username: string) {
    super(
      "INVALID_USERNAME",
      `Invalid username ${JSON.stringify(username.slice(0, 40))}: use 3–32 characters of a-z, 0-9, "_", "." and "-".`,
    );
  }
}

/** The password is too short (or absurdly long). */
export class InvalidPasswordError extends UserError {
  constructor(message = `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`) {
    super("INVALID_PASSWORD", message);
  }
}

/** A user without its password hash: what the app passes around. */
export type PublicUser = Omit<User, "passwordHash">;

function toPublic(user: User): PublicUser {
  return { id: user.id, username: user.username, role: user.role, createdAt: user.createdAt };
}

/** Lowercases and trims a username; does not validate. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** True when `username` (already normalized) is acceptable. */
export function isValidUsername(username: string): boolean {
  return USERNAME_PATTERN.test(username);
}

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize("NFKC"), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password as `scrypt$N$r$p$<salt base64>$<hash base64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const hash = await scrypt(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** Checks `password` against a stored hash in constant time; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map((value) => Number.parseInt(value ?? "", 10));
  if (!N || !r || !p || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? "", "base64");
  const expected = Buffer.from(parts[5] ?? "", "base64");
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;
/** A hash to verify against when the user does not exist, so timing does not reveal it. */
function getDummyHash(): Promise<string> {
  return (dummyHash ??= hashPassword(randomBytes(16).toString("hex")));
}

export interface CreateUserOptions {
  /** The role to store. Default `"user"`. */
  role?: UserRole;
  /**
   * Store `"admin"` when the database has no user yet (the demo's "first account is the admin"
   * rule). Two sign-ups racing on an empty database cannot both win: the check and the insert
   * run under one transaction-scoped advisory lock.
   */
  adminIfFirst?: boolean;
}

/** Arbitrary constant naming the "first user" check among PostgreSQL advisory locks. */
const FIRST_USER_LOCK_KEY = 7_311_402_552;

/**
 * Creates a user. Throws `InvalidUsernameError`, `InvalidPasswordError` or `DuplicateUsernameError`.
 *
 * @example
 * const alice = await createUser("alice", "correct horse");
 * const root = await createUser("root", "correct horse", { role: "admin" });
 */
export async function createUser(username: string, password: string, options: CreateUserOptions = {}): Promise<PublicUser> {
  const name = normalizeUsername(username);
  if (!isValidUsername(name)) throw new InvalidUsernameError(username);
  if (typeof password !== "string" || password.length < MIN_PASSWORD_LENGTH) throw new InvalidPasswordError();
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidPasswordError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  }
  const passwordHash = await hashPassword(password);
  const db = await getReadyDb();
  const row = await db.transaction(async (tx) => {
    let role: UserRole = options.role ?? "user";
    if (options.adminIfFirst && role !== "admin") {
      // Held until the transaction ends: a concurrent first sign-up waits here, then sees this row.
      await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_USER_LOCK_KEY})`);
      const [anyone] = await tx.select({ id: users.id }).from(users).limit(1);
      if (!anyone) role = "admin";
    }
    const [inserted] = await tx
      .insert(users)
      .values({ username: name, passwordHash, role })
      .onConflictDoNothing({ target: users.username })
      .returning();
    return inserted;
  });
  if (!row) throw new DuplicateUsernameError(name);
  return toPublic(row);
}

/**
 * Deletes a user (their comments go with them; articles they wrote lose their author). Returns the
 * deleted user, or null when there was none. Deleting the row does not end the user's sessions:
 * call `revokeUserSessions(user.id)` afterwards (see src/demo/accounts.ts).
 *
 * @example
 * const gone = await deleteUser(alice.id);
 * if (gone) await revokeUserSessions(gone.id);
 */
export async function deleteUser(id: string): Promise<PublicUser | null> {
  if (typeof id !== "string" || !UUID.test(id)) return null;
  const db = await getReadyDb();
  const [row] = await db.delete(users).where(eq(users.id, id)).returning();
  return row ? toPublic(row) : null;
}

/** The user with this username (case-insensitive), or null. */
export async function findUserByUsername(username: string): Promise<PublicUser | null> {
  const name = normalizeUsername(username);
  if (!isValidUsername(name)) return null;
  const db = await getReadyDb();
  const [row] = await db.select().from(users).where(eq(users.username, name)).limit(1);
  return row ? toPublic(row) : null;
}

/** The user with this id, or null (also for ids that are not UUIDs). */
export async function findUserById(id: string): Promise<PublicUser | null> {
  if (typeof id !== "string" || !UUID.test(id)) return null;
  const db = await getReadyDb();
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ? toPublic(row) : null;
}

/**
 * The user if `password` is right, else null. Takes about the same time whether or not the
 * user exists.
 *
 * @example
 * const user = await verifyUser(form.username, form.password);
 */
export async function verifyUser(username: string, password: string): Promise<PublicUser | null> {
  if (typeof username !== "string" || typeof password !== "string" || password.length > MAX_PASSWORD_LENGTH) return null;
  const name = normalizeUsername(username);
  const db = isValidUsername(name) ? await getReadyDb() : null;
  const [row] = db ? await db.select().from(users).where(eq(users.username, name)).limit(1) : [];
  if (!row) {
    await verifyPassword(password, await getDummyHash());
    return null;
  }
  return (await verifyPassword(password, row.passwordHash)) ? toPublic(row) : null;
}
