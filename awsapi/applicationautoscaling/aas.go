package applicationautoscaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// AlarmWriter is what target tracking needs of CloudWatch: to create and
// update the alarms a policy owns, and to delete them with it.
type AlarmWriter interface {
	PutMetricAlarm(ctx context.Context, in *cloudwatchtypes.PutMetricAlarmInput) error
	DeleteAlarms(ctx context.Context, names []string) error
}

// API implements Application Auto Scaling for ECS services.
type API struct {
	awsapi.Base
	// Alarms writes target tracking's alarms; nil until CloudWatch is
	// wired, when policies are stored with their alarm names and no alarm
	// is written.
	Alarms AlarmWriter
	// Second is how long a second of a cooldown lasts: time.Second, or
	// less in tests that shorten the clock (the rules stay the same).
	Second time.Duration
	nudge  chan struct{}
	// lastPrune is when RunDue last pruned old activities (RunDue runs on
	// one controller worker only).
	lastPrune time.Time
}

// New returns the API over db.
func New(db store.Backend, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), Second: time.Second, nudge: make(chan struct{}, 1)}
}

// Nudges receives when a scheduled action was put, so the scheduled scaling
// controller re-plans its next wake-up.
func (a *API) Nudges() <-chan struct{} { return a.nudge }

func (a *API) poke() {
	select {
	case a.nudge <- struct{}{}:
	default:
	}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    aas.SigningName,
		TargetPrefix:   aas.ServiceTarget,
		Errors:         aas.Errors,
		ValidationCode: codeValidation,
		Known:          awsapi.KnownOperations(aas.Operations),
		Ops: map[string]awsapi.Handler{
			"RegisterScalableTarget":    awsapi.JSON(a.RegisterScalableTarget),
			"DeregisterScalableTarget":  awsapi.JSON(a.DeregisterScalableTarget),
			"DescribeScalableTargets":   awsapi.JSON(a.DescribeScalableTargets),
			"PutScalingPolicy":          awsapi.JSON(a.PutScalingPolicy),
			"DescribeScalingPolicies":   awsapi.JSON(a.DescribeScalingPolicies),
			"DeleteScalingPolicy":       awsapi.JSON(a.DeleteScalingPolicy),
			"PutScheduledAction":        awsapi.JSON(a.PutScheduledAction),
			"DescribeScheduledActions":  awsapi.JSON(a.DescribeScheduledActions),
			"DeleteScheduledAction":     awsapi.JSON(a.DeleteScheduledAction),
			"DescribeScalingActivities": awsapi.JSON(a.DescribeScalingActivities),
			"TagResource":               awsapi.JSON(a.TagResource),
			"UntagResource":             awsapi.JSON(a.UntagResource),
			"ListTagsForResource":       awsapi.JSON(a.ListTagsForResource),
		},
	}
}

// Application Auto Scaling's error codes, as in its model.
const (
	codeValidation       = aas.ErrValidationException
	codeNotFound         = aas.ErrObjectNotFoundException
	codeConcurrentUpdate = aas.ErrConcurrentUpdateException
	codeLimitExceeded    = aas.ErrLimitExceededException
	codeInvalidNextToken = aas.ErrInvalidNextTokenException
	codeFailedResource   = aas.ErrFailedResourceAccessException
	codeResourceNotFound = aas.ErrResourceNotFoundException
	codeTooManyTags      = aas.ErrTooManyTagsException
)

func errValidation(format string, args ...any) error {
	return awsapi.Errorf(codeValidation, format, args...)
}

func wrap(op string, err error) error { return awsapi.Wrap("application-autoscaling "+op, err) }

// noTarget is AWS's answer for a scalable target that is not registered.
func noTarget(resourceID string) error {
	return awsapi.Errorf(codeNotFound, "No scalable target registered for service namespace: ecs, resource ID: %s, scalable dimension: ecs:service:DesiredCount", resourceID)
}

// The dimension wharf serves.
const (
	namespace = aas.ServiceNamespaceEcs
	dimension = aas.ScalableDimensionECSServiceDesiredCount
	// Limits AWS documents per scalable target.
	maxPolicies  = 50
	maxScheduled = 200
	// defaultCooldown is ECS's default cooldown, in seconds.
	defaultCooldown = 300
	// activityTTL is how long activities stay describable: six weeks.
	activityTTL = 6 * 7 * 24 * time.Hour
)

// checkTarget checks that a request names the ECS dimension and a resource
// ID of the form service/CLUSTER/SERVICE, and returns the cluster and
// service names.
func checkTarget(ns aas.ServiceNamespace, dim aas.ScalableDimension, resourceID string) (cluster, service string, err error) {
	if ns != namespace {
		return "", "", errValidation("wharf serves Application Auto Scaling for service namespace ecs only, not %s.", ns)
	}
	if dim != "" && dim != dimension {
		return "", "", errValidation("Unsupported scalable dimension %s for service namespace ecs: use ecs:service:DesiredCount.", dim)
	}
	parts := strings.Split(resourceID, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return "", "", errValidation("Unsupported resource ID %q for service namespace ecs: use service/CLUSTER-NAME/SERVICE-NAME.", resourceID)
	}
	return parts[1], parts[2], nil
}

// targetRecord is one scalable target, with its policies and scheduled
// actions, at aas/targets/ACCOUNT/REGION/ecs/RESOURCE-ID.
type targetRecord struct {
	Account    string            `json:"account"`
	Region     string            `json:"region"`
	ResourceID string            `json:"resourceId"`
	ID         string            `json:"id"` // the ARN's 36 hex digits
	Min        int32             `json:"min"`
	Max        int32             `json:"max"`
	RoleARN    string            `json:"roleArn"`
	Suspended  suspended         `json:"suspended"`
	Created    time.Time         `json:"created"`
	Tags       map[string]string `json:"tags,omitempty"`
	Policies   []policyRecord    `json:"policies,omitempty"`
	Scheduled  []scheduledRecord `json:"scheduled,omitempty"`
}

type suspended struct {
	In        bool `json:"in,omitempty"`
	Out       bool `json:"out,omitempty"`
	Scheduled bool `json:"scheduled,omitempty"`
}

func (t *targetRecord) scope() model.Scope { return model.Scope{Account: t.Account, Region: t.Region} }

func targetsRoot() string { return "aas/targets/" }
func targetsPrefix(sc model.Scope) string {
	return targetsRoot() + sc.Account + "/" + sc.Region + "/ecs/"
}
func targetKey(sc model.Scope, resourceID string) string {
	return targetsPrefix(sc) + resourceID
}
func activitiesPrefix(sc model.Scope, resourceID string) string {
	return "aas/activities/" + sc.Account + "/" + sc.Region + "/ecs/" + resourceID + "/"
}

const pendingPrefix = "aas/pending/"

// targetARN is arn:aws:application-autoscaling:REGION:ACCOUNT:scalable-target/ID.
func (t *targetRecord) arn() string {
	return "arn:aws:application-autoscaling:" + t.Region + ":" + t.Account + ":scalable-target/" + t.ID
}

// policyARN is arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:UUID:resource/ecs/RESOURCE-ID:policyName/NAME.
func policyARN(sc model.Scope, id, resourceID, name string) string {
	return "arn:aws:autoscaling:" + sc.Region + ":" + sc.Account + ":scalingPolicy:" + id + ":resource/ecs/" + resourceID + ":policyName/" + name
}

// scheduledARN is …:scheduledAction:UUID:resource/ecs/RESOURCE-ID:scheduledActionName/NAME.
func scheduledARN(sc model.Scope, id, resourceID, name string) string {
	return "arn:aws:autoscaling:" + sc.Region + ":" + sc.Account + ":scheduledAction:" + id + ":resource/ecs/" + resourceID + ":scheduledActionName/" + name
}

// parsePolicyARN reads a policy ARN back into its scope, resource ID and
// policy name.
func parsePolicyARN(arn string) (sc model.Scope, resourceID, name string, err error) {
	parts := strings.SplitN(arn, ":", 8)
	if len(parts) != 8 || parts[0] != "arn" || parts[2] != "autoscaling" || parts[5] != "scalingPolicy" {
		return sc, "", "", fmt.Errorf("%q is not a scaling policy ARN", arn)
	}
	res, ok := strings.CutPrefix(parts[7], "resource/ecs/")
	if !ok {
		return sc, "", "", fmt.Errorf("%q is not an ECS scaling policy ARN", arn)
	}
	resourceID, name, ok = strings.Cut(res, ":policyName/")
	if !ok {
		return sc, "", "", fmt.Errorf("%q has no policy name", arn)
	}
	return model.Scope{Account: parts[4], Region: parts[3]}, resourceID, name, nil
}

// defaultRoleARN is the service-linked role Application Auto Scaling uses
// for ECS when RegisterScalableTarget names none.
func defaultRoleARN(account string) string {
	return "arn:aws:iam::" + account + ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
}

// hexID is n random hex digits.
func hexID(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// getTarget reads a registered target or answers ObjectNotFoundException.
func getTarget(tx store.ReadTx, sc model.Scope, resourceID string) (targetRecord, error) {
	return awsapi.Find[targetRecord](tx, targetKey(sc, resourceID), func() error { return noTarget(resourceID) })
}
