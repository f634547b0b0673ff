package cloudwatch

import (
	"context"

	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
)

// Alarms lets other parts of wharf (Application Auto Scaling's target
// tracking policies) own alarms without going through HTTP. The account
// and region are those of the request in ctx (awsapi.WithRequest), the
// defaults otherwise.
type Alarms struct{ api *API }

// Alarms returns the in-process alarm client.
func (a *API) Alarms() *Alarms { return &Alarms{api: a} }

// PutMetricAlarm creates or updates an alarm, with PutMetricAlarm's rules.
func (c *Alarms) PutMetricAlarm(ctx context.Context, in *cw.PutMetricAlarmInput) error {
	if err := in.Validate(); err != nil {
		return errInvalid("%s", err.Error())
	}
	_, err := c.api.PutMetricAlarm(ctx, in)
	return err
}

// DeleteAlarms deletes alarms; names that name nothing are skipped, so
// that an owner can delete its alarms again after a crash.
func (c *Alarms) DeleteAlarms(ctx context.Context, names []string) error {
	return wrap("DeleteAlarms", c.api.deleteAlarms(ctx, names, true))
}
