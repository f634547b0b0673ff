package iam

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Deleting a service-linked role is a task in IAM: DeleteServiceLinkedRole
// answers a deletion task id and GetServiceLinkedRoleDeletionStatus
// reports it (Terraform's aws_iam_service_linked_role polls it until
// SUCCEEDED). wharf has no service holding on to the role, so the role
// goes at once and the task is recorded as succeeded:
//
//	wharf/iam/ACCOUNT/slr-deletion/ID   a deletion task (JSON)
const kindSLRDeletion = "slr-deletion"

type slrDeletionRequest struct {
	RoleName       string `xml:"RoleName"`
	DeletionTaskId string `xml:"DeletionTaskId"`
}

type slrDeletionResult struct {
	DeletionTaskId string `xml:"DeletionTaskId,omitempty"`
	Status         string `xml:"Status,omitempty"`
}

// slrDeletion is a deletion task as stored.
type slrDeletion struct {
	Role   string `json:"role"`
	Status string `json:"status"`
}

// DeleteServiceLinkedRole deletes a service-linked role and answers the
// deletion task's id, task/aws-service-role/SERVICE/ROLE/UUID as IAM
// forms it.
func (a *API) DeleteServiceLinkedRole(ctx context.Context, r *slrDeletionRequest) (*slrDeletionResult, error) {
	if err := checkName("roleName", r.RoleName, 64); err != nil {
		return nil, err
	}
	acct := account(ctx)
	var id string
	err := a.write(ctx, func(tx store.Tx) error {
		e, err := getEntity(tx, acct, kindRole, r.RoleName)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(e.Path, "/aws-service-role/") {
			return invalidInput("The role with name %s is not a service-linked role.", e.Name)
		}
		id = "task" + e.Path + e.Name + "/" + newUUID()
		if err := store.Put(tx, key(acct, kindSLRDeletion, id), slrDeletion{Role: e.Name, Status: "SUCCEEDED"}); err != nil {
			return err
		}
		return tx.Delete(key(acct, kindRole, e.Name))
	})
	if err != nil {
		return nil, awsapi.Wrap("delete service-linked role", err)
	}
	return &slrDeletionResult{DeletionTaskId: id}, nil
}

// GetServiceLinkedRoleDeletionStatus reports a deletion task.
func (a *API) GetServiceLinkedRoleDeletionStatus(ctx context.Context, r *slrDeletionRequest) (*slrDeletionResult, error) {
	if r.DeletionTaskId == "" {
		return nil, invalidInput("1 validation error detected: Value null at 'deletionTaskId' failed to satisfy constraint: Member must not be null")
	}
	acct := account(ctx)
	var task slrDeletion
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		var err error
		task, err = awsapi.Find[slrDeletion](tx, key(acct, kindSLRDeletion, r.DeletionTaskId), func() error {
			return noSuchEntity("Deletion task %s cannot be found.", r.DeletionTaskId)
		})
		return err
	})
	if err != nil {
		return nil, awsapi.Wrap("get service-linked role deletion status", err)
	}
	return &slrDeletionResult{Status: task.Status}, nil
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
