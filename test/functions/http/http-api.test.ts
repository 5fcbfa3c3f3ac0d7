import { describe, expect, it } from "vitest";
import { failure, json, jsonBody, signedCaller } from "../../../functions/http/http-api.js";

describe("http-api", () => {
  it("answers JSON with its content type, and errors as { error, message }", () => {
    expect(json(200, { a: 1 })).toEqual({ statusCode: 200, headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(JSON.parse(failure(400, "bad-request", "body: reason: Required").body)).toEqual({ error: "bad-request", message: "body: reason: Required" });
  });

  it("takes the caller only from the IAM authorizer, and refuses an unsigned request with 403", () => {
    const arn = "arn:aws:sts::123456789012:assumed-role/IncidentLead/alice";
    expect(signedCaller({ requestContext: { authorizer: { iam: { userArn: arn } } } })).toEqual({ callerArn: arn });
    for (const event of [{}, { requestContext: {} }, { requestContext: { authorizer: { iam: { userArn: "" } } } }]) {
      const result = signedCaller(event);
      expect("response" in result && result.response.statusCode).toBe(403);
      expect("response" in result && JSON.parse(result.response.body)).toMatchObject({ error: "unsigned" });
    }
  });

  it("parses the body: plain, base64, empty as {}, and says so when it is not JSON", () => {
    expect(jsonBody({ body: '{"reason":"x"}' })).toEqual({ value: { reason: "x" } });
    expect(jsonBody({ body: Buffer.from('{"reason":"y"}').toString("base64"), isBase64Encoded: true })).toEqual({ value: { reason: "y" } });
    expect(jsonBody({})).toEqual({ value: {} });
    expect(jsonBody({ body: "" })).toEqual({ value: {} });
    expect(jsonBody({ body: "{not json" })).toEqual({ error: "the body is not JSON" });
    expect(jsonBody({ body: "eyJh", isBase64Encoded: true })).toEqual({ error: "the body is not JSON" });
  });
});
