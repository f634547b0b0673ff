package main

import (
	"strings"
	"testing"
)

func TestEnumConstSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"EC2":                      "Ec2",
		"FARGATE_SPOT":             "FargateSpot",
		"X86_64":                   "X8664",
		"ARM64":                    "Arm64",
		"awsvpc":                   "Awsvpc",
		"AWSVPC":                   "Awsvpc",
		"json-file":                "JsonFile",
		"WINDOWS_SERVER_2019_FULL": "WindowsServer2019Full",
		"ManagedInstance":          "ManagedInstance",
		"Bytes_Second":             "BytesSecond",
		"Bytes/Second":             "BytesSecond",
		"t2.micro":                 "T2Micro",
		"OPEN_TELEMETRY_0_7":       "OpenTelemetry07",
	} {
		if got := enumConstSuffix(in); got != want {
			t.Errorf("enumConstSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportName(t *testing.T) {
	for in, want := range map[string]string{
		"clusterName":   "ClusterName",
		"cpu":           "Cpu",
		"taskRoleArn":   "TaskRoleArn",
		"type":          "Type",
		"Message":       "Message",
		"accessKeyType": "AccessKeyType",
		"1st":           "X1st",
		"a-b":           "Ab",
	} {
		if got := exportName(in); got != want {
			t.Errorf("exportName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDocSummary(t *testing.T) {
	for in, want := range map[string]string{
		"<p>Creates a new Amazon ECS cluster. By default, your account receives a <code>default</code> cluster.</p>": "Creates a new Amazon ECS cluster.",
		"<p>The name, e.g. <code>abc</code>. More.</p>":                                                              "The name, e.g. abc.",
		"<p>The short name\n   or full ARN</p><p>Second paragraph.</p>":                                              "The short name or full ARN Second paragraph.",
		"<p>Use the <code>ecs.Foo</code> API &amp; friends.</p>":                                                     "Use the ecs.Foo API & friends.",
		"Version 1.4.0 or later. Then more.":                                                                         "Version 1.4.0 or later.",
		"":                                                                                                           "",
	} {
		if got := docSummary(in); got != want {
			t.Errorf("docSummary(%q) = %q, want %q", in, got, want)
		}
	}
	long := "<p>" + strings.Repeat("word ", 80) + "</p>"
	got := docSummary(long)
	if !strings.HasSuffix(got, "...") || len([]rune(got)) > maxDocLen+3 || strings.Contains(got, "wor...") {
		t.Errorf("long doc not capped at a word: %q", got)
	}
}

func TestTranslatePattern(t *testing.T) {
	for in, want := range map[string]string{
		`^[a-z]+$`:                             `^[a-z]+$`,
		`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`:      `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`,
		`^[\u0020-\u007E]+$`:                   `^[\x{0020}-\x{007E}]+$`,
		`^\p{Print}+$`:                         `^[[:print:]]+$`,
		`^[\p{Print}\t]+$`:                     `^[[:print:]\t]+$`,
		`^.{1,100000}$`:                        `^.{1,}$`,
		`^[!-~]{1,1024}$`:                      `^[!-~]{1,}$`,
		`^[a{]{2,3}$`:                          `^[a{]{2,3}$`,
		`^(?i)all|[0-9]{12}$`:                  `^(?i)all|[0-9]{12}$`,
		`^[]a]$`:                               `^[]a]$`,
		`^arn:aws:ecs:[^:]*:\d{12}:cluster/.*`: `^arn:aws:ecs:[^:]*:\d{12}:cluster/.*`,
	} {
		got, err := translatePattern(in)
		if err != nil || got != want {
			t.Errorf("translatePattern(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`^(?!\s*$).+$`, `^[\uD800-\uDBFF]$`, `^(?=a)b$`, `(a)\1`} {
		if got, err := translatePattern(bad); err == nil {
			t.Errorf("translatePattern(%q) = %q, want an error", bad, got)
		}
	}
}
