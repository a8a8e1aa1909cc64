/**
 * Type-level assertions for the type tests: `expectType<Expected>()(value)` fails to compile
 * unless the value's type is exactly `Expected` (not merely assignable either way).
 */

/** True when A and B are the same type (the standard "identical generic" trick). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * Checks the exact type of a value at compile time; does nothing at run time (and the type tests
 * never run anyway).
 *
 * @example
 * expectType<Promise<boolean>>()(sendToAll("Hi"));
 */
export function expectType<Expected>() {
  return <Actual>(value: Actual & (Equal<Actual, Expected> extends true ? unknown : never)): void => void value;
}
