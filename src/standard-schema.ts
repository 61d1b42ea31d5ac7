/**
 * @module The Standard Schema v1 interface (standardschema.dev), written out so the package needs no types-only dependency.
 */

/**
 * A schema any validation library can hand to tradehook: zod 3.24+ and 4 (classic and Mini),
 * valibot 1, arktype 2 and others implement it under the `~standard` key.
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 *
 * const schema: StandardSchemaV1<unknown, { ticker: string }> = v.object({ ticker: v.string() });
 * createReceiver({ provider, events: { "tradingview.alert": schema } });
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  /** The `~standard` properties. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  /** A validation's result: the value, or issues. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem the schema found. */
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  /** Type-only: what the schema takes and gives. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The type a schema accepts. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["input"];
  /** The type a schema produces: what a handler's `event.data` is. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema["~standard"]["types"]>["output"];
}
