import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";

/** One state of a definition, wherever it sits (top level, a Map's ItemProcessor, a Parallel branch). */
export interface LocatedState {
  readonly name: string;
  readonly state: JsonObject;
}

/** The nested scopes (`{ StartAt, States }`) a state carries. */
export function nestedScopes(state: JsonObject): JsonObject[] {
  const scopes: (JsonValue | undefined)[] = [];
  if (state.Type === "Map") scopes.push(state.ItemProcessor ?? state.Iterator);
  if (state.Type === "Parallel") scopes.push(...jsonArray(state.Branches));
  return scopes.filter(isJsonObject);
}

export function jsonArray(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

/** Every state of a definition, nested ones included, depth first. */
export function allStates(scope: JsonObject): LocatedState[] {
  const states = isJsonObject(scope.States) ? scope.States : {};
  return Object.entries(states).flatMap(([name, state]) => (isJsonObject(state) ? [{ name, state }, ...nestedScopes(state).flatMap(allStates)] : []));
}

/** A copy of a scope with every state, nested ones included, passed through `change`. */
export function mapStates(scope: JsonObject, change: (state: JsonObject) => JsonObject): JsonObject {
  const states = isJsonObject(scope.States) ? scope.States : {};
  const mapped: JsonObject = {};
  for (const [name, state] of Object.entries(states)) {
    if (!isJsonObject(state)) {
      mapped[name] = state;
      continue;
    }
    const copy = change({ ...state });
    if (copy.Type === "Map") {
      for (const key of ["ItemProcessor", "Iterator"] as const) {
        const inner = copy[key];
        if (isJsonObject(inner)) copy[key] = mapStates(inner, change);
      }
    }
    if (copy.Type === "Parallel") copy.Branches = jsonArray(copy.Branches).map((branch) => (isJsonObject(branch) ? mapStates(branch, change) : branch));
    mapped[name] = copy;
  }
  return { ...scope, States: mapped };
}
