package lb

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/dataplane/lbstate"
)

// router is a listener's compiled rules: evaluated in priority order, the
// default rule last; the first rule whose conditions all match decides.
type router struct {
	rules []route
	// idle is the load balancer's idle timeout: how long a forwarded
	// request waits for its target's first byte.
	idle time.Duration
}

type route struct {
	conds  []condition
	action action
}

// action answers a request a rule matched.
type action interface {
	serve(l *listener, w http.ResponseWriter, r *http.Request)
}

func (rt *router) match(r *http.Request) action {
	for _, ru := range rt.rules {
		ok := true
		for _, c := range ru.conds {
			if !c(r) {
				ok = false
				break
			}
		}
		if ok {
			return ru.action
		}
	}
	return nil
}

// compileRouter builds a listener's router; groups resolves target group
// ARNs to their live state (nil for one that is gone: its share is 503).
func compileRouter(l lbstate.Listener, rules []lbstate.Rule, groups func(arn string) *group) *router {
	rt := &router{}
	for _, r := range rules {
		conds := make([]condition, 0, len(r.R.Conditions))
		for _, c := range r.R.Conditions {
			conds = append(conds, compileCondition(c))
		}
		rt.rules = append(rt.rules, route{conds: conds, action: compileActions(r.R.Actions, groups)})
	}
	rt.rules = append(rt.rules, route{action: compileActions(l.L.DefaultActions, groups)})
	return rt
}

// compileActions picks the terminal action (the API allows one).
func compileActions(actions []elbv2types.Action, groups func(string) *group) action {
	for _, a := range actions {
		switch a.Type {
		case elbv2types.ActionTypeEnumForward:
			f := &forward{}
			var weights []int
			tuples := []elbv2types.TargetGroupTuple{{TargetGroupArn: a.TargetGroupArn}}
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				tuples = a.ForwardConfig.TargetGroups
			}
			for _, t := range tuples {
				w := 1
				if t.Weight != nil {
					w = int(*t.Weight)
				}
				f.groups = append(f.groups, groups(shape.ToString(t.TargetGroupArn)))
				weights = append(weights, w)
			}
			f.weights = newWeighted(weights)
			return f
		case elbv2types.ActionTypeEnumFixedResponse:
			if c := a.FixedResponseConfig; c != nil {
				status, _ := strconv.Atoi(shape.ToString(c.StatusCode))
				ct := shape.ToString(c.ContentType)
				if ct == "" {
					ct = "text/plain"
				}
				return &fixedResponse{status: status, contentType: ct, body: shape.ToString(c.MessageBody)}
			}
		case elbv2types.ActionTypeEnumRedirect:
			if c := a.RedirectConfig; c != nil {
				status := http.StatusFound
				if c.StatusCode == elbv2types.RedirectActionStatusCodeEnumHttp301 {
					status = http.StatusMovedPermanently
				}
				return &redirect{status: status, protocol: shape.ToString(c.Protocol), host: shape.ToString(c.Host),
					port: shape.ToString(c.Port), path: shape.ToString(c.Path), query: c.Query}
			}
		}
	}
	return &fixedResponse{status: http.StatusServiceUnavailable, contentType: "text/html", body: errorPage(http.StatusServiceUnavailable)}
}

// fixedResponse answers without a target.
type fixedResponse struct {
	status      int
	contentType string
	body        string
}

func (f *fixedResponse) serve(_ *listener, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
}

// redirect answers 301 or 302 to a URL built from the request's parts,
// with ELB's #{protocol}, #{host}, #{port}, #{path} and #{query} keys.
type redirect struct {
	status                     int
	protocol, host, port, path string
	query                      *string
}

func (d *redirect) serve(l *listener, w http.ResponseWriter, r *http.Request) {
	host, port := r.Host, strconv.Itoa(l.port)
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	expand := func(s, def string) string {
		if s == "" {
			s = def
		}
		return strings.NewReplacer("#{protocol}", "HTTP", "#{host}", host, "#{port}", port,
			"#{path}", strings.TrimPrefix(r.URL.Path, "/"), "#{query}", r.URL.RawQuery).Replace(s)
	}
	proto := strings.ToLower(expand(d.protocol, "#{protocol}"))
	h, p := expand(d.host, "#{host}"), expand(d.port, "#{port}")
	if proto == "http" && p == "80" || proto == "https" && p == "443" {
		p = ""
	}
	target := proto + "://" + h
	if p != "" {
		target += ":" + p
	}
	path := expand(d.path, "/#{path}")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	target += path
	query := "#{query}"
	if d.query != nil {
		query = *d.query
	}
	if q := expand(query, ""); q != "" {
		target += "?" + q
	}
	w.Header().Set("Location", target)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(d.status)
	_, _ = w.Write([]byte(errorPage(d.status)))
}

// errorPage is the body ELB sends with its own answers.
func errorPage(status int) string {
	t := strconv.Itoa(status) + " " + http.StatusText(status)
	if status == http.StatusServiceUnavailable {
		t = "503 Service Temporarily Unavailable"
	}
	return "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n<center><h1>" + t + "</h1></center>\r\n</body>\r\n</html>\r\n"
}
