package eventpattern

import (
	"errors"
	"testing"
)

// The events and patterns follow the examples of EventBridge's user guide
// ("Content filtering in Amazon EventBridge event patterns").
const ec2Event = `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0", "state": "terminated",
    "c-count": 5, "d-count": 3, "x-limit": 301.8,
    "source-ip": "10.0.0.123", "filename": "dir/file.png",
    "tags": [{"key": "team", "value": "blue"}, {"key": "env", "value": "prod"}],
    "nothing": null, "empty": ""
  }
}`

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		want          bool
	}{
		{"exact source", `{"source":["aws.ec2"]}`, true},
		{"exact source mismatch", `{"source":["aws.ecs"]}`, false},
		{"array is OR", `{"source":["aws.ecs","aws.ec2"]}`, true},
		{"nested exact", `{"detail":{"state":["terminated"]}}`, true},
		{"all keys must match", `{"source":["aws.ec2"],"detail":{"state":["running"]}}`, false},
		{"event array any element", `{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, true},
		{"array of objects", `{"detail":{"tags":{"key":["env"]}}}`, true},
		{"prefix", `{"time":[{"prefix":"2017-12-22"}]}`, true},
		{"prefix mismatch", `{"time":[{"prefix":"2018"}]}`, false},
		{"prefix ignore case", `{"detail":{"state":[{"prefix":{"equals-ignore-case":"TERM"}}]}}`, true},
		{"suffix", `{"detail":{"filename":[{"suffix":".png"}]}}`, true},
		{"suffix ignore case", `{"detail":{"filename":[{"suffix":{"equals-ignore-case":".PNG"}}]}}`, true},
		{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, true},
		{"anything-but value", `{"detail":{"state":[{"anything-but":"running"}]}}`, true},
		{"anything-but value hit", `{"detail":{"state":[{"anything-but":"terminated"}]}}`, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","terminated"]}]}}`, false},
		{"anything-but number", `{"detail":{"c-count":[{"anything-but":[4,6]}]}}`, true},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"run"}}]}}`, true},
		{"anything-but prefix hit", `{"detail":{"state":[{"anything-but":{"prefix":"term"}}]}}`, false},
		{"anything-but suffix", `{"detail":{"filename":[{"anything-but":{"suffix":".txt"}}]}}`, true},
		{"anything-but ignore case list", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["TERMINATED","x"]}}]}}`, false},
		{"anything-but absent field", `{"detail":{"missing":[{"anything-but":"x"}]}}`, false},
		{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, true},
		{"numeric out of range", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, false},
		{"numeric on string", `{"detail":{"state":[{"numeric":[">",0]}]}}`, false},
		{"number literal equals float", `{"detail":{"c-count":[5.0]}}`, true},
		{"string literal is not a number", `{"detail":{"c-count":["5"]}}`, false},
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, true},
		{"exists true absent", `{"detail":{"missing":[{"exists":true}]}}`, false},
		{"exists false", `{"detail":{"missing":[{"exists":false}]}}`, true},
		{"exists false present", `{"detail":{"state":[{"exists":false}]}}`, false},
		{"exists false under absent object", `{"nope":{"x":[{"exists":false}]}}`, true},
		{"null literal", `{"detail":{"nothing":[null]}}`, true},
		{"empty string literal", `{"detail":{"empty":[""]}}`, true},
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{"cidr outside", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, false},
		{"wildcard", `{"detail":{"filename":[{"wildcard":"dir/*.png"}]}}`, true},
		{"wildcard middle", `{"detail":{"instance-id":[{"wildcard":"i-*abc*f0"}]}}`, true},
		{"wildcard mismatch", `{"detail":{"filename":[{"wildcard":"*.jpg"}]}}`, false},
		{"$or first", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",1]}]}]}}`, true},
		{"$or none", `{"detail":{"$or":[{"c-count":[{"numeric":[">",10]}]},{"d-count":[{"numeric":["<",1]}]}]}}`, false},
		{"$or at top", `{"$or":[{"source":["aws.ecs"]},{"detail-type":["EC2 Instance State-change Notification"]}]}`, true},
		{"leaf filter on an object", `{"detail":["x"]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.pattern)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := p.Match([]byte(ec2Event))
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct{ name, pattern string }{
		{"not JSON", `{"source":`},
		{"not an object", `["aws.ec2"]`},
		{"scalar value", `{"source":"aws.ec2"}`},
		{"empty array", `{"source":[]}`},
		{"empty object", `{}`},
		{"unknown filter", `{"source":[{"regex":"x"}]}`},
		{"two keys in filter", `{"source":[{"prefix":"a","suffix":"b"}]}`},
		{"prefix not string", `{"source":[{"prefix":5}]}`},
		{"exists not bool", `{"source":[{"exists":"yes"}]}`},
		{"numeric odd", `{"n":[{"numeric":[">"]}]}`},
		{"numeric bad op", `{"n":[{"numeric":["!=",1]}]}`},
		{"numeric range upside down", `{"n":[{"numeric":[">",5,"<",1]}]}`},
		{"numeric too large", `{"n":[{"numeric":[">",6e9]}]}`},
		{"bad cidr", `{"ip":[{"cidr":"10.0.0.0/33"}]}`},
		{"consecutive wildcards", `{"f":[{"wildcard":"a**b"}]}`},
		{"$or with one", `{"$or":[{"a":["b"]}]}`},
		{"anything-but bool", `{"a":[{"anything-but":[true]}]}`},
		{"nested array", `{"a":[["b"]]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.pattern)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile = %v, want a pattern error", err)
			}
		})
	}
}

// BenchmarkMatch is the cost of matching one decoded event against a
// typical ECS task state change rule.
func BenchmarkMatch(b *testing.B) {
	p, err := Compile(`{"source":["aws.ecs"],"detail-type":["ECS Task State Change"],"detail":{"lastStatus":["STOPPED"],"stopCode":[{"anything-but":"UserInitiated"}],"containers":{"exitCode":[{"numeric":[">",0]}]}}}`)
	if err != nil {
		b.Fatal(err)
	}
	ev, err := decode([]byte(`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"lastStatus":"STOPPED","stopCode":"EssentialContainerExited","containers":[{"name":"a","exitCode":0},{"name":"b","exitCode":1}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	obj := ev.(map[string]any)
	for b.Loop() {
		if !p.MatchValue(obj) {
			b.Fatal("no match")
		}
	}
}
