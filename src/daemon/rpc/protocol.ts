import { legacyKeysDeep, snakeKeys, snakeName } from './names.js';

/**
 * Transmission's two RPC forms over one dispatcher:
 *
 * - classic: `{ method: "torrent-get", arguments: {…}, tag }` → `{ arguments, result: "success" | why, tag }`
 * - JSON-RPC 2.0 (Transmission 4.1): `{ jsonrpc: "2.0", method: "torrent_get", params, id }` →
 *   `{ jsonrpc, result | error: { code, message, data: { error_string } }, id }`, batches, notifications.
 *
 * Methods see snake_case names whatever the form. Nothing a client sends can make this throw: a
 * handler's failure becomes an error answer (Transmission's codes and strings, checked against a
 * real transmission-daemon where they exist).
 */
export type RpcStyle = 'classic' | 'jsonrpc';

export const RPC_ERROR = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  SET_ANNOUNCE_LIST: 1,
  INVALID_TRACKER_LIST: 2,
  PATH_NOT_ABSOLUTE: 3,
  UNRECOGNIZED_INFO: 4,
  SYSTEM_ERROR: 5,
  FILE_IDX_OOR: 6,
  PIECE_IDX_OOR: 7,
  HTTP_ERROR: 8,
  CORRUPT_TORRENT: 9,
  INVALID_BLOCKLIST_DATA: 10,
} as const;

const ERROR_MESSAGES: Record<number, string> = {
  [-32700]: 'Parse error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method not found',
  [-32602]: 'Invalid params',
  [-32603]: 'Internal error',
  1: 'error setting announce list',
  2: 'Invalid tracker list',
  3: 'path is not absolute',
  4: 'unrecognized info',
  5: 'system error',
  6: 'file index out of range',
  7: 'piece index out of range',
  8: 'HTTP error from backend service',
  9: 'invalid or corrupt torrent file',
  10: "couldn't parse any valid blocklist rules",
};

/** The classic protocol's answer to an unknown method (Transmission 3 and 4 alike). */
export const METHOD_NOT_FOUND_LEGACY = 'method name not recognized';

export class RpcError extends Error {
  override name = 'RpcError';
  constructor(
    readonly code: number,
    /** Transmission's `error_string` (and the classic `result`); empty to use the code's message. */
    readonly errorString = '',
  ) {
    super(errorString || ERROR_MESSAGES[code] || 'error');
  }
}

export interface RpcCall {
  style: RpcStyle;
  /** snake_case, e.g. `torrent_get`. */
  method: string;
  /** The request's arguments / params with snake_case top-level keys. */
  params: Record<string, unknown>;
}

export interface RpcResult {
  args: Record<string, unknown>;
  /** The handler already spelled every key for the call's style (torrent_get: as the fields were asked). */
  styled?: boolean;
}

export type Dispatch = (call: RpcCall) => Promise<RpcResult> | undefined;

export interface RpcAnswer {
  /** 200, or 204 when only notifications were sent. */
  status: number;
  body?: string;
}

export async function executeRpc(text: string, dispatch: Dispatch): Promise<RpcAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (err) {
    return answer(jsonRpcError(null, RPC_ERROR.PARSE_ERROR, err instanceof Error ? err.message : 'not JSON'));
  }
  if (Array.isArray(request)) {
    if (request.length === 0) return answer(jsonRpcError(null, RPC_ERROR.INVALID_REQUEST, 'empty batch'));
    const responses = (await Promise.all(request.map((one) => executeOne(one, dispatch, true)))).filter((r) => r !== undefined);
    return responses.length === 0 ? { status: 204 } : answer(responses);
  }
  const response = await executeOne(request, dispatch, false);
  return response === undefined ? { status: 204 } : answer(response);
}

function answer(body: unknown): RpcAnswer {
  return { status: 200, body: JSON.stringify(body) };
}

async function executeOne(request: unknown, dispatch: Dispatch, inBatch: boolean): Promise<unknown> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    if (inBatch) return jsonRpcError(null, RPC_ERROR.INVALID_REQUEST, 'request must be an Object');
    return { arguments: {}, result: 'no method name' };
  }
  const fields = request as Record<string, unknown>;
  if (fields['jsonrpc'] === '2.0') return executeJsonRpc(fields, dispatch);
  if ('jsonrpc' in fields || inBatch) return jsonRpcError(null, RPC_ERROR.INVALID_REQUEST, 'JSON-RPC version is not 2.0');
  return executeClassic(fields, dispatch);
}

async function executeClassic(request: Record<string, unknown>, dispatch: Dispatch): Promise<unknown> {
  const tag = typeof request['tag'] === 'number' && Number.isInteger(request['tag']) ? { tag: request['tag'] } : {};
  if (typeof request['method'] !== 'string' || request['method'] === '') return { arguments: {}, result: 'no method name', ...tag };
  const args = isObject(request['arguments']) ? request['arguments'] : {};
  const call: RpcCall = { style: 'classic', method: snakeName(request['method']), params: snakeKeys(args) };
  try {
    const pending = dispatch(call);
    if (!pending) return { arguments: {}, result: METHOD_NOT_FOUND_LEGACY, ...tag };
    const result = await pending;
    return { arguments: result.styled ? result.args : legacyKeysDeep(result.args), result: 'success', ...tag };
  } catch (err) {
    const { code, errorString } = asRpcError(err);
    const why = code === RPC_ERROR.METHOD_NOT_FOUND ? METHOD_NOT_FOUND_LEGACY : errorString || ERROR_MESSAGES[code] || 'error';
    return { arguments: {}, result: why, ...tag };
  }
}

async function executeJsonRpc(request: Record<string, unknown>, dispatch: Dispatch): Promise<unknown> {
  const hasId = 'id' in request;
  const id = request['id'];
  if (hasId && !(id === null || typeof id === 'string' || typeof id === 'number')) {
    return jsonRpcError(null, RPC_ERROR.INVALID_REQUEST, 'id type must be String, Number, or Null');
  }
  const reply = (body: unknown) => (hasId ? body : undefined); // a notification gets no answer
  if (typeof request['method'] !== 'string') return reply(jsonRpcError(id ?? null, RPC_ERROR.INVALID_REQUEST, 'method must be a String'));
  const params = request['params'];
  if (params !== undefined && !isObject(params)) {
    return reply(jsonRpcError(id ?? null, RPC_ERROR.INVALID_PARAMS, 'params must be an Object (by-position parameters are not supported)'));
  }
  const call: RpcCall = { style: 'jsonrpc', method: request['method'], params: (params as Record<string, unknown> | undefined) ?? {} };
  try {
    const pending = dispatch(call);
    if (!pending) return reply(jsonRpcError(id ?? null, RPC_ERROR.METHOD_NOT_FOUND));
    const result = await pending;
    return reply({ jsonrpc: '2.0', result: result.args, id: id ?? null });
  } catch (err) {
    const { code, errorString } = asRpcError(err);
    return reply(jsonRpcError(id ?? null, code, errorString));
  }
}

function jsonRpcError(id: unknown, code: number, errorString = ''): unknown {
  const error: Record<string, unknown> = { code, message: ERROR_MESSAGES[code] ?? 'error' };
  if (errorString) error['data'] = { error_string: errorString };
  return { jsonrpc: '2.0', error, id };
}

function asRpcError(err: unknown): { code: number; errorString: string } {
  if (err instanceof RpcError) return { code: err.code, errorString: err.errorString };
  return { code: RPC_ERROR.INTERNAL_ERROR, errorString: err instanceof Error ? err.message : String(err) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
