package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// putObjectContentType is the Content-Type aws-sdk:s3:putObject stores
// when the state gives none, as recorded.
const putObjectContentType = "text/plain; charset=UTF-8"

// maxGetBody bounds the Body aws-sdk:s3:getObject returns: past Step
// Functions' 256 KiB payload limit the task fails with
// States.DataLimitExceeded anyway, so reading more is waste.
const maxGetBody = 256*1024 + 1

// s3Call is arn:aws:states:::aws-sdk:s3:<action> for getObject, putObject,
// headObject, deleteObject, listObjectsV2 and copyObject. The answer is the
// response members alone (no HTTP metadata), a getObject Body as text.
// putObject stores Body as its JSON text, as recorded: a string Body
// "text" is stored as "\"text\"", an object as its JSON.
func (inv *Invoker) s3Call(ctx context.Context, action string, params map[string]any) (any, error) {
	p := copyParams(params)
	var out any
	var err error
	switch action {
	case "getObject":
		var in s3.GetObjectInput
		if err := decode(svcS3, p, &in); err != nil {
			return nil, err
		}
		var o *s3.GetObjectOutput
		if o, err = inv.s3.GetObject(ctx, &in); err == nil {
			defer o.Body.Close()
			body, rerr := io.ReadAll(io.LimitReader(o.Body, maxGetBody))
			if rerr != nil {
				return nil, serviceError(svcS3, rerr)
			}
			doc, _ := toDoc(reflect.ValueOf(o))
			m, _ := doc.(map[string]any)
			m["Body"] = string(body)
			return m, nil
		}
	case "putObject":
		body, hasBody := p["Body"]
		delete(p, "Body")
		var in s3.PutObjectInput
		if err := decode(svcS3, p, &in); err != nil {
			return nil, err
		}
		if hasBody {
			b, _ := json.Marshal(body)
			in.Body = strings.NewReader(string(b))
			in.ContentLength = aws.Int64(int64(len(b)))
		} else {
			in.Body = strings.NewReader("")
		}
		if in.ContentType == nil {
			in.ContentType = aws.String(putObjectContentType)
		}
		out, err = inv.s3.PutObject(ctx, &in)
	case "headObject":
		var in s3.HeadObjectInput
		if err := decode(svcS3, p, &in); err != nil {
			return nil, err
		}
		out, err = inv.s3.HeadObject(ctx, &in)
	case "deleteObject":
		var in s3.DeleteObjectInput
		if err := decode(svcS3, p, &in); err != nil {
			return nil, err
		}
		out, err = inv.s3.DeleteObject(ctx, &in)
	case "listObjectsV2":
		var in s3.ListObjectsV2Input
		if err := decode(svcS3, p, &in); err != nil {
			return nil, err
		}
		out, err = inv.s3.ListObjectsV2(ctx, &in)
	case "copyObject":
		var in s3.CopyObjectInput
		if err := decode(svcS3, p, &in); err != nil {
			return nil, err
		}
		out, err = inv.s3.CopyObject(ctx, &in)
	default:
		return nil, paramError(svcS3, "aws-sdk:s3:%s is not run by the local stack", action)
	}
	if err != nil {
		return nil, serviceError(svcS3, err)
	}
	doc, _ := toDoc(reflect.ValueOf(out))
	if doc == nil {
		doc = map[string]any{}
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("integrations: s3 %s answered %T", action, out)
	}
	return doc, nil
}
