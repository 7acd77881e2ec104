package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The patterns below are the client's own input rules (openapi.yaml's ID
// and DatabaseName schemas; chreplication.ValidateID and
// ValidateDatabaseName), so that the API server refuses what the client
// would refuse.

// ScopeMode is the kind of a table scope's list.
// +kubebuilder:validation:Enum=black_list;white_list
type ScopeMode string

// TableScope says which tables of the database are synchronised.
type TableScope struct {
	// Mode is black_list (every table but Tables, the default) or
	// white_list (only Tables). The API changes the tables of a task's
	// list, never its type.
	// +kubebuilder:default=black_list
	// +optional
	Mode ScopeMode `json:"mode,omitempty"`
	// Tables are the tables Mode applies to. Names must not contain ','.
	// +kubebuilder:validation:MaxItems=1000
	// +listType=set
	// +optional
	Tables []TableName `json:"tables,omitempty"`
}

// TableName is a MySQL table name, without ','.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^[^/\\.,\x00-\x1F\x7F-\x9F]*[^/\\.,\x00-\x1F\x7F-\x9F ]$`
type TableName string

// DeletionPolicy says what deleting the resource does to the task.
// +kubebuilder:validation:Enum=Delete;Retain
type DeletionPolicy string

// Deletion policies.
const (
	DeletionDelete DeletionPolicy = "Delete"
	DeletionRetain DeletionPolicy = "Retain"
)

// ClickHouseReplicationSpec is the replication to have.
// +kubebuilder:validation:XValidation:rule="!(has(self.region) && has(self.endpoint))",message="give region or endpoint, not both"
type ClickHouseReplicationSpec struct {
	// InstanceID is the instance whose ClickHouse node receives the
	// database. It cannot change.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_-]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="instanceID cannot change"
	InstanceID string `json:"instanceID"`
	// SourceInstanceID is the GaussDB(for MySQL) instance the database is
	// copied from. It cannot change.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_-]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="sourceInstanceID cannot change"
	SourceInstanceID string `json:"sourceInstanceID"`
	// SourceNodeID is the read replica to copy from; left out, the
	// primary node. It cannot change.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9][A-Za-z0-9_-]*)?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="sourceNodeID cannot change"
	// +optional
	SourceNodeID string `json:"sourceNodeID,omitempty"`
	// Database is the database to synchronise. It cannot change.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[^/\\.\x00-\x1F\x7F-\x9F]*[^/\\.\x00-\x1F\x7F-\x9F ]$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="database cannot change"
	Database string `json:"database"`
	// TableScope says which tables are synchronised; it changes in place.
	// +optional
	TableScope *TableScope `json:"tableScope,omitempty"`
	// ProjectID is the project of the instance, when it is not the
	// manager's. It cannot change.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9_-]*$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="projectID cannot change"
	// +optional
	ProjectID string `json:"projectID,omitempty"`
	// Region is the region of the instance, such as cn-north-4, when it
	// is not the manager's. It cannot change.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z]+(-[a-z0-9]+)+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="region cannot change"
	// +optional
	Region string `json:"region,omitempty"`
	// Endpoint is the API endpoint URL, instead of Region. It cannot
	// change.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/?#@]+(/[^\s?#]*)?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="endpoint cannot change"
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// DeletionPolicy says what deleting the resource does: Delete (the
	// default) deletes the task, Retain keeps it on the service.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
	// CredentialsSecretRef names a Secret in the resource's own namespace
	// holding the credentials (the CLI's variables as keys), instead of
	// the manager's.
	// +optional
	CredentialsSecretRef *corev1.LocalObjectReference `json:"credentialsSecretRef,omitempty"`
}

// ClickHouseReplicationStatus is what the service shows of the task.
type ClickHouseReplicationStatus struct {
	// Conditions are Ready and Synced, with their reasons.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation the status was made for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Status, Stage, CatchupStage and Percentage are the task's, as the
	// service lists it.
	// +optional
	Status string `json:"status,omitempty"`
	// +optional
	Stage string `json:"stage,omitempty"`
	// +optional
	CatchupStage string `json:"catchupStage,omitempty"`
	// +optional
	Percentage int32 `json:"percentage,omitempty"`
	// JobID is the last job the controller started; JobEnded when it
	// ended (to the microsecond: the controller compares it with
	// LastSyncTime).
	// +optional
	JobID string `json:"jobID,omitempty"`
	// +optional
	JobEnded *metav1.MicroTime `json:"jobEnded,omitempty"`
	// LastSyncTime is when the service's state shown here was read: when
	// the list it comes from was sent.
	// +optional
	LastSyncTime *metav1.MicroTime `json:"lastSyncTime,omitempty"`
}

// ClickHouseReplication is one database of a GaussDB(for MySQL) instance
// synchronised into the ClickHouse node of an instance.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=chr
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.status.stage`
// +kubebuilder:printcolumn:name="Progress",type=integer,JSONPath=`.status.percentage`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClickHouseReplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClickHouseReplicationSpec   `json:"spec,omitempty"`
	Status ClickHouseReplicationStatus `json:"status,omitempty"`
}

// ClickHouseReplicationList is a list of ClickHouseReplication.
// +kubebuilder:object:root=true
type ClickHouseReplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClickHouseReplication `json:"items"`
}
