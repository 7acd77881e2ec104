// Package v1alpha1 holds the ClickHouseReplication API: one database of a
// GaussDB(for MySQL) instance synchronised into the ClickHouse node of an
// instance, declared as a Kubernetes resource.
//
// +kubebuilder:object:generate=true
// +groupName=chreplication.gaussdb-tools.github.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the API.
	GroupVersion = schema.GroupVersion{Group: "chreplication.gaussdb-tools.github.io", Version: "v1alpha1"}

	// SchemeBuilder adds the API's types to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ClickHouseReplication{}, &ClickHouseReplicationList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
