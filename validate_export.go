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
	if req.SourceNodeID != "" {
		return checkID("SourceNodeID", req.SourceNodeID)
	}
	return nil
}
