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
