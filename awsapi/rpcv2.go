package awsapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/wharfhq/wharf/api/shape"
)

// Smithy RPC v2 CBOR (rpcv2Cbor), which aws-sdk-go-v2 speaks to CloudWatch
// since 2025 in place of awsQuery:
//
//	POST /service/<ServiceShape>/operation/<Operation>
//	Smithy-Protocol: rpc-v2-cbor
//	Content-Type: application/cbor      (absent for an empty input)
//
// Bodies are CBOR maps named as the model's members; timestamps are tag 1
// around epoch seconds, blobs are byte strings. Errors answer a map with
// __type (the error shape) and message; a service that was awsQuery before
// (awsQueryCompatible) also sends X-Amzn-Query-Error: CODE;Sender so that
// clients see the Query error code.
//
// wharf decodes the CBOR body into the same JSON the awsJson protocols
// carry and runs the operation's JSON Handler, then encodes the typed
// response by reflection (json tag names; shape.Timestamp as tag 1).

// RPCv2Service is one rpcv2Cbor service mounted on the shared port.
type RPCv2Service struct {
	// SigningName is the SigV4 service name ("monitoring").
	SigningName string
	// ServiceShape is the model's service shape name, the path segment
	// ("GraniteServiceVersion20100801").
	ServiceShape string
	// ValidationCode is the Query code of model-validation failures.
	ValidationCode string
	// ErrorShapes maps a Query error code to its error shape's name
	// (InvalidParameterValue → InvalidParameterValueException), so that a
	// client finds its typed error; codes not listed are sent as they are.
	ErrorShapes map[string]string
	// Known lists every operation of the service's model.
	Known map[string]bool
	// Ops are the operations wharf serves, as JSON handlers.
	Ops map[string]Handler
	// Errors is the model's table of error codes (the generated
	// api/<svc>types.Errors): the fault and HTTP status of each.
	Errors map[string]shape.ErrorInfo
}

// RegisterRPCv2 mounts an rpcv2Cbor service under /service/<ServiceShape>/.
func (s *Server) RegisterRPCv2(svc *RPCv2Service) {
	s.mux.Handle("POST /service/"+svc.ServiceShape+"/operation/{op}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		req := &Request{ID: NewRequestID(), Region: DefaultRegion, Account: s.account, Host: r.Host}
		w.Header().Set("X-Amzn-RequestId", req.ID)
		status := s.serveRPCv2(w, r, req, svc)
		s.audit(r, req, svc.SigningName, status, w.Header().Get("X-Amzn-ErrorType"), start)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "api call",
			slog.String("op", req.Operation), slog.String("region", req.Region), slog.String("protocol", "rpcv2Cbor"),
			slog.Int("status", status), slog.Duration("took", time.Since(start)), slog.String("request_id", req.ID))
	}))
}

func (s *Server) serveRPCv2(w http.ResponseWriter, r *http.Request, req *Request, svc *RPCv2Service) (status int) {
	fail := func(e *Error) int { return writeCBORError(w, svc, e) }
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in handler", "op", req.Operation, "request_id", req.ID, "panic", p, "stack", string(debug.Stack()))
			status = fail(internalError(req.ID))
		}
	}()
	op := r.PathValue("op")
	req.Operation = truncate(op, 80)
	// rpcv2Cbor services here are Query-compatible: Query's codes.
	if e := s.authenticate(r, req, true); e != nil {
		return fail(e)
	}
	h := svc.Ops[op]
	if h == nil {
		if svc.Known[op] {
			return fail(Errorf(CodeUnknownOperation, "wharf does not serve %s.%s yet", svc.SigningName, op))
		}
		return fail(Errorf(CodeUnknownOperation, "%s has no operation named %q", svc.SigningName, truncate(op, 80)))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(Errorf(CodeRequestTooLarge, "the request body exceeds %d bytes", MaxBodyBytes))
		}
		return fail(Errorf(CodeSerialization, "could not read the request body: %v", err))
	}
	if body, err = gunzip(r, body); err != nil {
		return fail(Errorf(CodeSerialization, "%v", err))
	}
	js, err := CBORToJSON(body)
	if err != nil {
		return fail(Errorf(CodeSerialization, "the request body is not valid CBOR: %v", err))
	}
	ctx := WithRequest(r.Context(), req)
	if e := s.authorizeBody(ctx, r, req, svc.SigningName, js, CodeAccessDeniedQuery); e != nil {
		return fail(e)
	}
	resp, err := h(ctx, js)
	if err != nil {
		e, ok := AsError(err)
		var inv *invalidInput
		switch {
		case ok:
		case errors.As(err, &inv):
			code := svc.ValidationCode
			if code == "" {
				code = CodeValidationError
			}
			e = &Error{Code: code, Message: inv.err.Error()}
		default:
			s.log.Error("api call failed", "op", op, "request_id", req.ID, "err", err)
			return fail(internalError(req.ID))
		}
		if e.Fault == ServerFault {
			s.log.Error("api call failed", "op", op, "request_id", req.ID, "err", err)
		}
		return fail(e)
	}
	v, err := CBORValueOf(resp)
	if err != nil {
		s.log.Error("encode response", "op", op, "request_id", req.ID, "err", err)
		return fail(internalError(req.ID))
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cbor.Encode(v))
	return http.StatusOK
}

// gunzip undoes Content-Encoding: gzip, which the SDKs apply to operations
// with the requestCompression trait (PutMetricData) over 10 KiB, bounded
// by MaxBodyBytes once inflated.
func gunzip(r *http.Request, body []byte) ([]byte, error) {
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("the gzip-encoded request body is not valid gzip: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the gzip-encoded request body is not valid gzip: %v", err)
	}
	if len(out) > MaxBodyBytes {
		return nil, fmt.Errorf("the request body exceeds %d bytes once inflated", MaxBodyBytes)
	}
	return out, nil
}

func writeCBORError(w http.ResponseWriter, svc *RPCv2Service, e *Error) int {
	e = e.inModel(svc.Errors)
	typ := e.Code
	if name, ok := svc.ErrorShapes[e.Code]; ok {
		typ = name
	}
	fault := "Sender"
	if e.Fault == ServerFault {
		fault = "Receiver"
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	// The SDK decodes the body into the error shape by member name, whose
	// case the model decides (CloudWatch's ResourceNotFoundException has
	// Message, its ResourceNotFound message).
	msgKey := "message"
	if info, ok := svc.Errors[e.Code]; ok && info.Message != "" {
		msgKey = info.Message
	}
	w.WriteHeader(e.status())
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(typ), msgKey: cbor.String(e.Message)}))
	return e.status()
}

// CBORToJSON turns a CBOR request body into the JSON of the same members:
// tag-1 timestamps become epoch seconds, byte strings base64, as the awsJson
// protocols carry them. An empty body is an empty object.
func CBORToJSON(body []byte) ([]byte, error) {
	if len(body) == 0 {
		return []byte("{}"), nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, err
	}
	g, err := cborToGo(v, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

// maxCBORDepth bounds nesting; no AWS shape comes near it.
const maxCBORDepth = 64

func cborToGo(v cbor.Value, depth int) (any, error) {
	if depth > maxCBORDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxCBORDepth)
	}
	switch x := v.(type) {
	case cbor.Uint:
		return uint64(x), nil
	case cbor.NegInt:
		if x == 0 || uint64(x) > 1<<63 {
			return nil, fmt.Errorf("negative integer out of range")
		}
		return -int64(x), nil // NegInt(k) is -k
	case cbor.Slice:
		return base64.StdEncoding.EncodeToString(x), nil
	case cbor.String:
		return string(x), nil
	case cbor.List:
		out := make([]any, len(x))
		for i, e := range x {
			g, err := cborToGo(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	case cbor.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if _, null := e.(*cbor.Nil); null {
				continue
			}
			g, err := cborToGo(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = g
		}
		return out, nil
	case *cbor.Tag:
		if x.ID != 1 {
			return nil, fmt.Errorf("unsupported CBOR tag %d", x.ID)
		}
		return cborToGo(x.Value, depth+1)
	case cbor.Bool:
		return bool(x), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case cbor.Float32:
		return finite(float64(x))
	case cbor.Float64:
		return finite(float64(x))
	}
	return nil, fmt.Errorf("unsupported CBOR value %T", v)
}

// finite refuses NaN and infinities, which JSON cannot carry (and no
// wharf operation accepts).
func finite(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("NaN and infinite numbers are not accepted")
	}
	return f, nil
}

var timestampType = reflect.TypeFor[shape.Timestamp]()

// CBORValueOf encodes a response shape as CBOR: structs as maps keyed by
// their json tag names (zero members left out, as omitzero does), slices as
// lists, shape.Timestamp as tag 1 around epoch seconds.
func CBORValueOf(v any) (cbor.Value, error) {
	if v == nil {
		return cbor.Map{}, nil
	}
	out, ok := cborOf(reflect.ValueOf(v))
	if !ok {
		return cbor.Map{}, nil
	}
	return out, nil
}

func cborOf(v reflect.Value) (cbor.Value, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	if v.Type() == timestampType {
		ts := v.Interface().(shape.Timestamp)
		if ts.IsZero() {
			return nil, false
		}
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(ts.UnixMilli()) / 1000)}, true
	}
	switch v.Kind() {
	case reflect.Struct:
		m := cbor.Map{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if e, ok := cborOf(v.Field(i)); ok {
				m[name] = e
			}
		}
		return m, true
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, false
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return cbor.Slice(v.Bytes()), true
		}
		l := make(cbor.List, 0, v.Len())
		for i := range v.Len() {
			if e, ok := cborOf(v.Index(i)); ok {
				l = append(l, e)
			}
		}
		return l, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		m := cbor.Map{}
		for it := v.MapRange(); it.Next(); {
			if e, ok := cborOf(it.Value()); ok {
				m[fmt.Sprint(it.Key().Interface())] = e
			}
		}
		return m, true
	case reflect.String:
		if v.Len() == 0 {
			return nil, false
		}
		return cbor.String(v.String()), true
	case reflect.Bool:
		return cbor.Bool(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n < 0 {
			return cbor.NegInt(uint64(-n)), true // NegInt(k) is -k
		}
		return cbor.Uint(uint64(v.Int())), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cbor.Uint(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return cbor.Float64(v.Float()), true
	}
	return nil, false
}
