// Package contract checks HTTP traffic against the API's OpenAPI document
// (openapi.yaml, as embedded in package fake) with kin-openapi, so that a
// client, the fake, or a client talking to the real service can be shown to
// keep the contract.
//
// A Transport is an http.RoundTripper that validates every request before
// sending it and every response before handing it back, records what does
// not match as Violations (the first MaxViolations; Dropped counts the rest)
// and, in strict mode, returns them as errors.
// Bodies are buffered (up to a size limit) and put back, so the caller still
// reads them.
//
// What counts as a violation:
//
//   - a request that matches no operation, or whose parameters, headers or
//     body do not match the spec (path parameters are percent-decoded
//     first); a request that carries neither the X-Auth-Token nor the
//     Authorization header (credentials are checked for presence only),
//     unless SkipSecurity;
//   - a response status other than the ones the operation declares (200,
//     400, 500) and the API gateway's (401, 403, 404, 429, 502, 503, 504),
//     although the spec's `default` response formally covers every status;
//   - a 200 whose Content-Type is not JSON, or whose body does not match
//     the schema or is not exactly one JSON value (the same holds for a
//     JSON request body);
//   - a 400 or 500 (a status the operation declares) whose body is JSON
//     but not an ErrorResponse. A body that is not JSON (an HTML page,
//     an empty or truncated body) is not a violation at these statuses,
//     nor is any body at a gateway status: the spec says the gateway may
//     answer other shapes and clients must cope;
//   - a body larger than the size limit (it cannot be validated).
//
// Example to check a client against the fake:
//
//	s, _ := fake.NewServer()
//	defer s.Close()
//	tr, _ := contract.NewTransport(s.Client().Transport)
//	httpClient := &http.Client{Transport: tr}
//	// ... drive the client under test with httpClient against s.URL() ...
//	if err := tr.Err(); err != nil {
//		t.Error(err)
//	}
package contract
