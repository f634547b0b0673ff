package scheduler

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// queryCluster is six instances: ci000..ci005 in zones a, b, c, a, b, c;
// t3.medium on even numbers, m5.large on odd; ci001 has stack=prod, ci002
// stack=dev, ci004 weight=10 and ci005 weight=9; ci003 runs a task of
// service:db and ci004 two tasks of service:web (one RUNNING, one
// PENDING); ci005's agent is disconnected and older.
func queryCluster() []Instance {
	in := cluster(6, 2048, 4096)
	in[1] = withAttrs(in[1], "stack", "prod")
	in[2] = withAttrs(in[2], "stack", "dev")
	in[4] = withAttrs(in[4], "weight", "10")
	in[5] = withAttrs(in[5], "weight", "9")
	in[3].Tasks = []PlacedTask{running("t-db", "service:db", 10, 10)}
	pending := running("t-web2", "service:web", 10, 10)
	pending.LastStatus = "PENDING"
	in[4].Tasks = []PlacedTask{running("t-web1", "service:web", 10, 10), pending}
	in[5].AgentConnected = false
	in[5].AgentVersion = "1.14.4"
	return in
}

func TestQueryOperators(t *testing.T) {
	instances := queryCluster()
	tests := []struct {
		name string
		expr string
		want []string
	}{
		{"equals", "attribute:ecs.instance-type == t3.medium", []string{"ci000", "ci002", "ci004"}},
		{"equals word", "attribute:ecs.instance-type equals m5.large", []string{"ci001", "ci003", "ci005"}},
		{"not equals needs the attribute", "attribute:stack != prod", []string{"ci002"}},
		{"not_equals word", "attribute:stack not_equals dev", []string{"ci001"}},
		{"greater than numeric", "attribute:weight > 9", []string{"ci004"}},
		{"greater_than_equal", "attribute:weight greater_than_equal 9", []string{"ci004", "ci005"}},
		{"less than numeric not lexical", "attribute:weight < 10", []string{"ci005"}},
		{"less_than_equal", "attribute:weight <= 10", []string{"ci004", "ci005"}},
		{"string order", "attribute:ecs.availability-zone > us-east-1b", []string{"ci002", "ci005"}},
		{"exists", "attribute:stack exists", []string{"ci001", "ci002"}},
		{"presence-only attribute exists", "attribute:ecs.capability.task-eni exists", []string{"ci000", "ci001", "ci002", "ci003", "ci004", "ci005"}},
		{"!exists", "attribute:stack !exists", []string{"ci000", "ci003", "ci004", "ci005"}},
		{"not_exists", "attribute:weight not_exists", []string{"ci000", "ci001", "ci002", "ci003"}},
		{"in", "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", []string{"ci000", "ci001", "ci003", "ci004"}},
		{"!in", "attribute:ecs.availability-zone !in [us-east-1a, us-east-1b]", []string{"ci002", "ci005"}},
		{"not_in quoted", "attribute:ecs.availability-zone not_in ['us-east-1a', \"us-east-1c\"]", []string{"ci001", "ci004"}},
		{"matches whole value", "attribute:ecs.instance-type =~ t3.*", []string{"ci000", "ci002", "ci004"}},
		{"matches is anchored", "attribute:ecs.instance-type =~ medium", nil},
		{"matches word", "attribute:ecs.instance-type matches m5\\..*", []string{"ci001", "ci003", "ci005"}},
		{"not matches", "attribute:ecs.instance-type !~ t3.*", []string{"ci001", "ci003", "ci005"}},
		{"quoted pattern with brackets", "attribute:ecs.availability-zone =~ 'us-east-1[ab]'", []string{"ci000", "ci001", "ci003", "ci004"}},
		{"compound and", "attribute:ecs.instance-type =~ t3.* and attribute:ecs.availability-zone != us-east-1a", []string{"ci002", "ci004"}},
		{"compound &&", "attribute:ecs.instance-type =~ t3.* && attribute:ecs.availability-zone == us-east-1a", []string{"ci000"}},
		{"or ||", "attribute:stack == prod || attribute:stack == dev", []string{"ci001", "ci002"}},
		{"and binds tighter than or", "attribute:stack == prod or attribute:stack == dev and attribute:ecs.availability-zone == us-east-1a", []string{"ci001"}},
		{"parentheses", "(attribute:stack == prod or attribute:stack == dev) and attribute:ecs.availability-zone == us-east-1b", []string{"ci001"}},
		{"not()", "not(attribute:ecs.availability-zone == us-east-1a)", []string{"ci001", "ci002", "ci004", "ci005"}},
		{"! prefix", "!(attribute:ecs.availability-zone == us-east-1a) and !attribute:stack exists", []string{"ci004", "ci005"}},
		{"task:group affinity", "task:group == service:web", []string{"ci004"}},
		{"task:group anti-affinity", "not(task:group == service:db)", []string{"ci000", "ci001", "ci002", "ci004", "ci005"}},
		{"task:group != means runs none", "task:group != service:web", []string{"ci000", "ci001", "ci002", "ci003", "ci005"}},
		{"task:group in", "task:group in [service:db, service:web]", []string{"ci003", "ci004"}},
		{"task:group matches", "task:group =~ service:.*", []string{"ci003", "ci004"}},
		{"task:group exists", "task:group exists", []string{"ci003", "ci004"}},
		{"agentConnected", "agentConnected == false", []string{"ci005"}},
		{"agentConnected in", "agentConnected in [true]", []string{"ci000", "ci001", "ci002", "ci003", "ci004"}},
		{"agentVersion", "agentVersion < 1.14.5", []string{"ci005"}},
		{"agentVersion numeric parts", "agentVersion >= 1.9.0", []string{"ci000", "ci001", "ci002", "ci003", "ci004", "ci005"}},
		{"ec2InstanceId in quoted", "ec2InstanceId in ['i-00000001', 'i-00000003']", []string{"ci001", "ci003"}},
		{"ec2InstanceId matches", "ec2InstanceId =~ i-0000000[45]", []string{"ci004", "ci005"}},
		{"unquoted pattern with groups", "attribute:ecs.instance-type =~ (t3|x1)\\..*", []string{"ci000", "ci002", "ci004"}},
		{"unquoted pattern inside not()", "not(ec2InstanceId =~ i-0000000[0-3])", []string{"ci004", "ci005"}},
		{"pattern inside parentheses then and", "(attribute:stack matches p.*) and attribute:ecs.availability-zone == us-east-1b", []string{"ci001"}},
		{"registeredAt date", "registeredAt < 2024-03-03", []string{"ci000", "ci001"}},
		{"registeredAt date is a whole day", "registeredAt == 2024-03-02", []string{"ci001"}},
		{"registeredAt date-time", "registeredAt >= 2024-03-05T12:00:00Z", []string{"ci004", "ci005"}},
		{"registeredAt offset", "registeredAt > 2024-03-05T13:00:00+02:00", []string{"ci004", "ci005"}},
		{"registeredAt local form", "registeredAt <= 2024-03-01T12:00:00", []string{"ci000"}},
		{"runningTasksCount", "runningTasksCount == 1", []string{"ci003", "ci004"}},
		{"runningTasksCount zero", "runningTasksCount < 1", []string{"ci000", "ci001", "ci002", "ci005"}},
		{"case-insensitive keywords", "attribute:stack EXISTS AND NOT(attribute:stack == dev)", []string{"ci001"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FilterInstances(tc.expr, instances)
			if err != nil {
				t.Fatalf("FilterInstances(%q): %v", tc.expr, err)
			}
			if g := ids(got); !slices.Equal(g, tc.want) {
				t.Errorf("FilterInstances(%q) = %v, want %v", tc.expr, g, tc.want)
			}
		})
	}
}

func TestQuerySyntaxErrors(t *testing.T) {
	tests := []struct {
		name   string
		expr   string
		offset int    // 0-based byte offset reported
		want   string // part of the message
	}{
		{"empty", "", 0, "empty expression"},
		{"blank", "   ", 3, "empty expression"},
		{"unknown subject", "instanceType == t2.small", 0, `unknown subject "instanceType"`},
		{"attribute without name", "attribute: == x", 0, "needs a name"},
		{"missing operator", "attribute:stack prod", 16, "expected an operator"},
		{"missing value", "attribute:stack ==", 18, "expected a value"},
		{"in without list", "attribute:stack in prod", 19, "needs a list"},
		{"unclosed list", "attribute:stack in [a, b", 24, "expected , or ]"},
		{"empty list item", "attribute:stack in [a, ]", 23, "expected a value in the list"},
		{"unclosed paren", "(attribute:stack exists", 23, "expected ) to close the ( at position 1"},
		{"dangling and", "attribute:stack exists and", 26, "expected an expression"},
		{"two comparisons without and", "attribute:a exists attribute:b exists", 19, "join expressions with and / or"},
		{"unterminated quote", "attribute:stack == 'prod", 19, "unterminated quoted value"},
		{"bad regexp", "attribute:stack =~ 'a(b'", 0, "invalid pattern"},
		{"operator not for subject", "runningTasksCount exists", 18, `operator "exists" is not supported for runningTasksCount`},
		{"ordering on ec2InstanceId", "ec2InstanceId > i-1", 14, "not supported"},
		{"agentConnected value", "agentConnected == yes", 0, "true or false"},
		{"runningTasksCount value", "runningTasksCount > many", 0, "whole number"},
		{"registeredAt value", "registeredAt < yesterday", 0, "date such as 2018-06-18"},
		{"agentVersion value", "agentVersion < latest", 0, "version such as 1.14.5"},
		{"lone =", "attribute:a = b", 12, "unknown operator"},
		{"pattern missing", "not(attribute:a =~ )", 19, "expected a value"},
		{"too long", "attribute:a == " + strings.Repeat("x", MaxExpressionLength), MaxExpressionLength, "longer than 2000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseExpression(tc.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseExpression(%q) = %v, want a *SyntaxError", tc.expr, err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Message, tc.want) {
				t.Errorf("ParseExpression(%q) = offset %d %q, want offset %d and %q", tc.expr, se.Offset, se.Message, tc.offset, tc.want)
			}
			if !strings.Contains(err.Error(), "position") {
				t.Errorf("error %q does not say where", err)
			}
		})
	}
}

func TestExpressionMatchesAndString(t *testing.T) {
	e, err := ParseExpression("attribute:ecs.instance-type == t2.small")
	if err != nil {
		t.Fatal(err)
	}
	if e.String() != "attribute:ecs.instance-type == t2.small" {
		t.Errorf("String() = %q", e.String())
	}
	in := withAttrs(instance(0, 1, 1), "ecs.instance-type", "t2.small")
	if !e.Matches(in) {
		t.Error("Matches = false for a t2.small")
	}
	if e.Matches(instance(1, 1, 1)) {
		t.Error("Matches = true for an m5.large")
	}
}

// FuzzParseExpression: any input either parses or returns a *SyntaxError,
// never panics, and what parses can be evaluated.
func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{
		"attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
		"task:group == service:production",
		"not(task:group == database)",
		"runningTasksCount == 1",
		"agentVersion < 1.14.5",
		"registeredAt < 2018-02-13",
		"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
		"(a == b || !c exists) && !(d =~ (x|y)[z])",
	} {
		f.Add(s)
	}
	instances := queryCluster()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpression(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseExpression(%q) error %T %v", s, err, err)
			}
			return
		}
		for _, in := range instances {
			e.Matches(in)
		}
	})
}
