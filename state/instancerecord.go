package state

import (
	"encoding/json"
	"fmt"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
)

// Container instance and task definition records are stored in their own
// versioned forms (model.MarshalInstanceRecord, model.MarshalTaskDefRecord:
// our names for what wharf owns, AWS's task definition document for what
// the user wrote); a record without a version is the legacy form, the wire
// shapes themselves, and still decodes.

// legacyInstanceRecord is the form written before the version field. Its
// fields are InstanceRecord's, so that the two convert; it has no methods,
// so it encodes as it always did.
type legacyInstanceRecord struct {
	Instance ecstypes.ContainerInstance `json:"instance"`
	NodeID   string                     `json:"nodeId,omitempty"`
}

// MarshalJSON writes the record in the stored form.
func (r InstanceRecord) MarshalJSON() ([]byte, error) {
	return model.MarshalInstanceRecord(&r.Instance, r.NodeID)
}

// UnmarshalJSON reads either stored form.
func (r *InstanceRecord) UnmarshalJSON(b []byte) error {
	v, err := model.RecordVersion("container instance record", b)
	if err != nil {
		return err
	}
	if v == 0 {
		var l legacyInstanceRecord
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("container instance record: %w", err)
		}
		*r = InstanceRecord(l)
		return nil
	}
	ci, node, err := model.UnmarshalInstanceRecord(b)
	if err != nil {
		return err
	}
	*r = InstanceRecord{Instance: ci, NodeID: node}
	return nil
}

// legacyTaskDefRecord is the task definition record's form before the
// version field.
type legacyTaskDefRecord struct {
	TaskDefinition ecstypes.TaskDefinition `json:"taskDefinition"`
	Tags           []ecstypes.Tag          `json:"tags,omitempty"`
}

// MarshalJSON writes the record in the stored form. Empty tags are left
// out, as the legacy form's omitempty did.
func (r TaskDefRecord) MarshalJSON() ([]byte, error) {
	tags := r.Tags
	if len(tags) == 0 {
		tags = nil
	}
	return model.MarshalTaskDefRecord(&r.TaskDefinition, tags)
}

// UnmarshalJSON reads either stored form.
func (r *TaskDefRecord) UnmarshalJSON(b []byte) error {
	v, err := model.RecordVersion("task definition record", b)
	if err != nil {
		return err
	}
	if v == 0 {
		var l legacyTaskDefRecord
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("task definition record: %w", err)
		}
		*r = TaskDefRecord(l)
		return nil
	}
	td, tags, err := model.UnmarshalTaskDefRecord(b)
	if err != nil {
		return err
	}
	*r = TaskDefRecord{TaskDefinition: td, Tags: tags}
	return nil
}
