package actions

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// Input is a call's parameters, whichever protocol carried them: the
// members of a JSON 1.1 body, or the form of a Query call.
type Input interface {
	// String is a top-level string member ("" when absent or not a string).
	String(name string) string
	// Strings is a top-level list of strings (a Query list: Name.member.N).
	Strings(name string) []string
	// Tags are the tags the call sets, key to value.
	Tags() map[string]string
}

// JSONInput reads a JSON 1.1 body; one that does not decode reads as
// empty (the handler then answers its SerializationException).
func JSONInput(body []byte) Input {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m)
	return jsonInput(m)
}

type jsonInput map[string]json.RawMessage

func (in jsonInput) String(name string) string {
	var s string
	_ = json.Unmarshal(in[name], &s)
	return s
}

func (in jsonInput) Strings(name string) []string {
	var l []string
	_ = json.Unmarshal(in[name], &l)
	return l
}

// Tags reads the tag lists services use: [{"key","value"}] (ECS, ECR),
// [{"Key","Value"}] (Secrets Manager, SSM, ELBv2), or a map (Logs).
func (in jsonInput) Tags() map[string]string {
	for _, name := range []string{"tags", "Tags"} {
		raw, ok := in[name]
		if !ok {
			continue
		}
		var list []map[string]string
		if json.Unmarshal(raw, &list) == nil {
			out := map[string]string{}
			for _, t := range list {
				k, v := t["key"], t["value"]
				if k == "" {
					k, v = t["Key"], t["Value"]
				}
				if k != "" {
					out[k] = v
				}
			}
			return out
		}
		var m map[string]string
		if json.Unmarshal(raw, &m) == nil {
			return m
		}
	}
	return nil
}

// QueryInput reads a Query call's form.
func QueryInput(params url.Values) Input { return queryInput(params) }

type queryInput url.Values

func (in queryInput) String(name string) string { return url.Values(in).Get(name) }

func (in queryInput) Strings(name string) []string {
	var out []string
	for i := 1; i <= 1000; i++ {
		v, ok := in[name+".member."+strconv.Itoa(i)]
		if !ok {
			break
		}
		out = append(out, v[0])
	}
	return out
}

func (in queryInput) Tags() map[string]string {
	var out map[string]string
	for i := 1; i <= 50; i++ {
		p := "Tags.member." + strconv.Itoa(i)
		k := url.Values(in).Get(p + ".Key")
		if k == "" {
			break
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = url.Values(in).Get(p + ".Value")
	}
	return out
}
