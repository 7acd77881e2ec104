// client.ts: what a TypeScript team writes against the types that
// openapi-typescript generates from ../../openapi.yaml (into build/api.d.ts,
// see check.sh). It is only type-checked (`tsc --noEmit -p tools/spec`), never
// run: if a change to the spec would break this code for a TypeScript team
// (a renamed operationId, path or schema, a removed or renamed property, a
// required property made optional), it breaks our build.
import type { components, operations, paths } from "./build/api";

// The operation, found both by its operationId and by its method and path.
type CreateOperation = operations["CreateClickHouseDataBaseReplication"];
type CreateByPath =
  paths["/v3/{project_id}/instances/{instance_id}/clickhouse/replication"]["post"];

export type CreateReplicationRequest = components["schemas"]["CreateReplicationRequest"];
export type CreateRequestBody = CreateOperation["requestBody"]["content"]["application/json"];
export type CreatePathParams = CreateOperation["parameters"]["path"];
export type CreateOK = CreateOperation["responses"][200]["content"]["application/json"];
export type CreateClientError = CreateOperation["responses"][400]["content"]["application/json"];
export type CreateServerError = CreateOperation["responses"][500]["content"]["application/json"];
export type ErrorResponse = components["schemas"]["ErrorResponse"];

// Compile-time assertions: each line fails to compile when its condition is false.
type Assert<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Checks = [
  Assert<Same<CreateByPath, CreateOperation>>,
  Assert<Same<CreateRequestBody, CreateReplicationRequest>>,
  Assert<Same<CreateClientError, ErrorResponse>>,
  Assert<Same<CreateServerError, ErrorResponse>>,
];

/** The body of a create request; sourceNodeID "" (or left out) means the primary node. */
export function createRequestBody(
  sourceInstanceID: string,
  sourceDatabase: string,
  sourceNodeID = "",
): CreateRequestBody {
  const body: CreateReplicationRequest = {
    source_instance_id: sourceInstanceID,
    source_database: sourceDatabase,
  };
  if (sourceNodeID !== "") {
    body.source_node_id = sourceNodeID;
  }
  return body;
}

/** The path parameters of a create request. */
export function createPathParams(projectID: string, instanceID: string): CreatePathParams {
  return { project_id: projectID, instance_id: instanceID };
}

/** The ID of the job a successful create answer names. */
export function jobIDOf(answer: CreateOK): string {
  return answer.job_id;
}

/** A one-line description of an error answer (400, 500 or the gateway's). */
export function describeError(status: number, answer: CreateClientError | CreateServerError): string {
  const code: string = answer.error_code;
  const message: string = answer.error_msg;
  return `HTTP ${status}: ${code}: ${message}`;
}

/** Reads a create answer: the job ID on 200, an Error naming the code and message otherwise. */
export function readCreateAnswer(status: number, answer: unknown): string {
  if (status === 200) {
    return jobIDOf(answer as CreateOK);
  }
  throw new Error(describeError(status, answer as ErrorResponse));
}

// Retry helpers: the same code is in tools/spec/client.ts and in README.md.
// They wait out the two answers of the service that are not errors of the
// request: a job that is not visible yet, and a write refused because the
// instance runs another operation.

type Job = components["schemas"]["Job"];

/** What the helpers read of an answer; an openapi-fetch result ({ data, error, response }) is one. */
export interface Answer {
  readonly response: { readonly status: number; readonly headers: { get(name: string): string | null } };
  readonly error?: unknown;
}

/** How the helpers wait. Times are in milliseconds. */
export interface RetryOptions {
  /** Waits ms milliseconds, such as (ms) => new Promise((resolve) => setTimeout(resolve, ms)). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Time between two looks at a job, and the first wait after a busy answer (default 2000). */
  readonly interval?: number;
  /** How long a write refused by a busy instance is sent again (default 10 minutes). */
  readonly busyTimeout?: number;
  /** How long a job may be unknown to the service after the answer that named it (default 60 s). */
  readonly visibilityGrace?: number;
  /** How long waitJob waits for a job to end (default 1 hour). */
  readonly timeout?: number;
  /** Called before each wait of the helpers, with the answer that caused it. */
  readonly onRetry?: (reason: "instance busy" | "job not visible yet", answer: Answer, delay: number) => void;
}

/** The error_code of an error answer, or "" when its body has another shape (such as a gateway's HTML). */
export function errorCode(answer: Answer): string {
  const e = answer.error;
  return typeof e === "object" && e !== null && "error_code" in e && typeof e.error_code === "string" ? e.error_code : "";
}

/** One line naming the status, error code, message and request ID of an error answer. */
export function describeAnswer(answer: Answer): string {
  const e = answer.error;
  const message = typeof e === "object" && e !== null && "error_msg" in e && typeof e.error_msg === "string" ? e.error_msg : String(e ?? "");
  const requestID = answer.response.headers.get("X-Request-Id") ?? "-";
  return `HTTP ${answer.response.status} ${errorCode(answer)}: ${message} (request ${requestID})`;
}

/** The codes of a 409 that says the instance runs another operation (those Huawei's Terraform providers retry). */
export const busyCodes: readonly string[] = ["DBS.200019", "DBS.201014", "DBS.201015", "DBS.200047", "DBS.05000084", "DBS.212033"];

/** Whether a write was refused because the instance runs another operation (a 409 with a busy code, or a 403 with DBS.212033, "Instance is currently being operated"): it changed nothing, and sending it again is safe. */
export function isInstanceBusy(answer: Answer): boolean {
  const code = errorCode(answer);
  return (answer.response.status === 409 && busyCodes.includes(code)) || (answer.response.status === 403 && code === "DBS.212033");
}

/** Whether a job answer says the job is unknown: a 404, or a 400 other than a parameter error (DBS.200001). */
export function isJobUnknown(answer: Answer): boolean {
  const status = answer.response.status;
  return status === 404 || (status === 400 && errorCode(answer) !== "DBS.200001");
}

/**
 * Sends a write (each call of send makes one request) until the instance
 * accepts it or busyTimeout has passed, and returns the last answer. The
 * waits double from interval up to 30 s.
 */
export async function sendWrite<A extends Answer>(send: () => Promise<A>, options: RetryOptions): Promise<A> {
  const start = Date.now();
  let delay = options.interval ?? 2000;
  for (;;) {
    const answer = await send();
    if (!isInstanceBusy(answer) || Date.now() - start + delay > (options.busyTimeout ?? 600_000)) {
      return answer;
    }
    options.onRetry?.("instance busy", answer, delay);
    await options.sleep(delay);
    delay = Math.min(2 * delay, 30_000);
  }
}

/**
 * Looks at a job (each call of show makes one request) every interval until
 * it is Completed or Failed, and returns it. A new job is not visible for a
 * few seconds: while it has never been seen, an answer that it is unknown is
 * waited out for visibilityGrace. Any other error answer, or a job still
 * running after timeout, throws an Error.
 */
export async function waitJob<A extends Answer & { readonly data?: { readonly job: Job } }>(
  show: () => Promise<A>,
  options: RetryOptions,
  onProgress?: (job: Job) => void,
): Promise<Job> {
  const start = Date.now();
  const interval = options.interval ?? 2000;
  let seen = false;
  for (;;) {
    const answer = await show();
    const job = answer.data?.job;
    if (job !== undefined) {
      seen = true;
      onProgress?.(job);
      if (job.status === "Completed" || job.status === "Failed") {
        return job;
      }
    } else if (seen || !isJobUnknown(answer) || Date.now() - start >= (options.visibilityGrace ?? 60_000)) {
      throw new Error(describeAnswer(answer));
    } else {
      options.onRetry?.("job not visible yet", answer, interval);
    }
    if (Date.now() - start >= (options.timeout ?? 3_600_000)) {
      throw new Error(`the job has not ended after ${Date.now() - start} ms`);
    }
    await options.sleep(interval);
  }
}
// End of the retry helpers.

// The table scope of a task, as the workflow operations carry it.
type ScopeOperation = operations["UpdateClickHouseDataBaseConfig"];
type ScopeByPath =
  paths["/v3/{project_id}/instances/{instance_id}/clickhouse/databases/replication/config"]["put"];
type StopScopeByPath =
  paths["/v3/{project_id}/instances/{instance_id}/clickhouse/databases/replication/config"]["delete"];
type ConfigOperation = operations["ListClickHouseDataBaseReplicationConfig"];
type DatabaseCheckOperation = operations["CheckClickHouseDataBaseConfig"];

export type UpdateDatabaseConfigRequest = components["schemas"]["UpdateDatabaseConfigRequest"];
export type ReplicationConfig = ConfigOperation["responses"][200]["content"]["application/json"];
export type TableReplConfig = components["schemas"]["TableReplConfig"];
export type CheckDatabaseConfigRequest =
  DatabaseCheckOperation["requestBody"]["content"]["application/json"];

export type WorkflowChecks = [
  Assert<Same<ScopeByPath, ScopeOperation>>,
  Assert<Same<ScopeOperation["requestBody"]["content"]["application/json"], UpdateDatabaseConfigRequest>>,
  Assert<Same<ScopeOperation["responses"][200]["content"]["application/json"], CreateOK>>,
  Assert<Same<StopScopeByPath, operations["DeleteClickHouseDataBaseConfig"]>>,
  Assert<Same<StopScopeByPath["parameters"]["query"], { database: string }>>,
  Assert<Same<ConfigOperation["parameters"]["query"], { database_name: string }>>,
  Assert<Same<TableReplConfig["repl_type"], "black_list" | "white_list">>,
];

/**
 * The body of a scope update: the task keeps its list type and gets these
 * tables (the service takes the list as a JSON document in a string).
 */
export function scopeUpdateBody(
  sourceInstanceID: string,
  database: string,
  scope: TableReplConfig,
): UpdateDatabaseConfigRequest {
  return {
    source_instance_id: sourceInstanceID,
    database,
    value: JSON.stringify({ [scope.repl_type]: scope.tables.join(",") }),
  };
}

/** The body of a database check of the default parameters and this scope. */
export function databaseCheckBody(
  sourceInstanceID: string,
  database: string,
  scope: TableReplConfig,
): CheckDatabaseConfigRequest {
  return {
    source_instance_id: sourceInstanceID,
    source_database_name: database,
    db_configs: [],
    table_repl_config: scope,
  };
}

/** The scope a task will have: the change in progress, or the current one. */
export function targetScope(config: ReplicationConfig): TableReplConfig {
  const next = config.new_table_repl_config;
  if (config.is_tables_change && next.repl_type !== null && next.tables !== null) {
    const repl_type = next.repl_type === "white_list" ? "white_list" : "black_list";
    return { repl_type, tables: next.tables };
  }
  return config.table_repl_config;
}

/** Names of the parameters a database check judged as failing. */
export function failedParameters(config: ReplicationConfig): string[] {
  return config.database_info.db_config_check_results
    .filter((r) => r.check_result !== "success")
    .map((r) => r.param_name);
}
