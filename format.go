package chreplication

import (
	"fmt"
	"io"
	"log/slog"
)

// The Client's fields hold its credentials, and fmt prints the fields of a
// struct by reflection, without their own redacting methods. So a Client
// describes itself: endpoint and project, never its authenticator's secrets.
// The methods have value receivers, so that a Client and a *Client print the
// same.

// String describes the client: its endpoint and project.
func (c Client) String() string {
	return "chreplication.Client{endpoint: " + c.endpoint + ", project: " + c.projectID + ", auth: " + fmt.Sprintf("%T", c.auth) + "}"
}

// GoString is String: the client's %#v shows no credentials either.
func (c Client) GoString() string { return c.String() }

// Format prints String whatever the verb, so no verb reaches the fields.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue is the client's slog form: endpoint and project.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", c.endpoint), slog.String("project", c.projectID))
}
