package chreplication

// ValidateReplication returns the error CreateReplication would return for
// instanceID and req before sending anything: an error wrapping
// ErrInvalidRequest whose *InvalidRequestError names the field
// ("instanceID", "SourceInstanceID", "SourceDatabase", "SourceNodeID"), or
// nil when the input is well formed. It sends nothing; tools that read many
// replications from a file use it to check all of them first.
func ValidateReplication(instanceID string, req CreateReplicationRequest) error {
	if err := checkID("instanceID", instanceID); err != nil {
		return err
	}
	if err := checkID("SourceInstanceID", req.SourceInstanceID); err != nil {
		return err
	}
	if err := checkDatabase("SourceDatabase", req.SourceDatabase); err != nil {
		return err
	}
	return checkOptionalID("SourceNodeID", req.SourceNodeID)
}

// ValidateDatabaseName returns the error DeleteReplication would return for
// the database name before sending anything (an error wrapping
// ErrInvalidRequest for the field "database"), or nil. MySQL names are 1 to
// 64 characters, none of them '/', '\', '.' or a control character, not
// ending in a space; spaces and non-ASCII letters are legal.
func ValidateDatabaseName(name string) error {
	return checkDatabase("database", name)
}

// ValidateID returns the error the client returns for a malformed
// identifier (an instance, node, project or job ID) before sending anything:
// an error wrapping ErrInvalidRequest for the field "id", or nil. IDs are 1
// to 64 characters from A-Z a-z 0-9 - _, starting with a letter or digit.
func ValidateID(id string) error {
	return checkID("id", id)
}
