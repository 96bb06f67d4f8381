package itemio_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

var objects = map[string]string{
	"b/items.json":      `[{"a":1},{"a":2},"three",[4]]`,
	"b/obj.json":        `{"a":1}`,
	"b/bad.json":        `[{"a":1},{"a":}]`,
	"b/trail.json":      `[1] [2]`,
	"b/items.jsonl":     "{\"a\":1}\n\n{\"a\":2}\r\n3\n",
	"b/bad.jsonl":       "{\"a\":1}\n{\"a\":2}\nnope\n",
	"b/rows.csv":        "id,name,note\n1,ann,\"hello, world\"\n2,bob,\"say \"\"hi\"\"\"\n",
	"b/noheader.csv":    "1,ann\n2,bob\n",
	"b/pipe.csv":        "id|name\n1|ann\n",
	"b/semi.csv":        "id;name\n1;ann\n",
	"b/space.csv":       "id name\n1 ann\n",
	"b/tab.csv":         "id\tname\n1\tann\n",
	"b/ragged.csv":      "id,name\n1,ann\n2\n3,cy,extra\n",
	"b/dup.csv":         "id,id\n1,2\n",
	"b/quote.csv":       "id,name\n1,\"ann\n",
	"b/empty.csv":       "",
	"b/list/a.txt":      "aaa",
	"b/list/b.txt":      "bb",
	"b/other/c.txt":     "c",
	"b/inv/manifest":    `{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","fileFormat":"CSV","fileSchema":"Bucket, Key, Size","files":[{"key":"data/1.csv.gz","size":1,"MD5checksum":"x"},{"key":"data/2.csv","size":1,"MD5checksum":"y"}]}`,
	"inv/data/1.csv.gz": gz("\"src\",\"k1\",\"10\"\n\"src\",\"k2\",\"20\"\n"),
	"inv/data/2.csv":    "\"src\",\"k3\",\"30\"\n",
	"b/inv/orc":         `{"destinationBucket":"arn:aws:s3:::inv","fileFormat":"ORC","fileSchema":"x","files":[]}`,
}

func TestReadItems(t *testing.T) {
	store := newMemStore(objects)
	get := itemio.ResourceGetObject
	for _, tc := range []struct {
		name     string
		resource string
		args     string
		config   string
		want     string // JSON of the items, or the error cause
		wantErr  bool
	}{
		{"json", get, `{"Bucket":"b","Key":"items.json"}`, `{"InputType":"JSON"}`, `[{"a":1},{"a":2},"three",[4]]`, false},
		{"json MaxItems", get, `{"Bucket":"b","Key":"items.json"}`, `{"InputType":"JSON","MaxItems":2}`, `[{"a":1},{"a":2}]`, false},
		{"json not array", get, `{"Bucket":"b","Key":"obj.json"}`, `{"InputType":"JSON"}`, `Attempting to map over non-iterable node.`, true},
		{"json bad item", get, `{"Bucket":"b","Key":"bad.json"}`, `{"InputType":"JSON"}`, `s3://b/bad.json: item 1 is not valid JSON (offset 9): invalid character '}' looking for beginning of value`, true},
		{"json trailing data", get, `{"Bucket":"b","Key":"trail.json"}`, `{"InputType":"JSON"}`, `s3://b/trail.json: unexpected data after the JSON array (offset 5)`, true},
		{"jsonl", get, `{"Bucket":"b","Key":"items.jsonl"}`, `{"InputType":"JSONL"}`, `[{"a":1},{"a":2},3]`, false},
		{"jsonl bad line", get, `{"Bucket":"b","Key":"bad.jsonl"}`, `{"InputType":"JSONL"}`, `s3://b/bad.jsonl: line 3 is not valid JSON: invalid character 'o' in literal null (expecting 'u')`, true},
		{"csv first row", get, `{"Bucket":"b","Key":"rows.csv"}`, `{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}`,
			`[{"id":"1","name":"ann","note":"hello, world"},{"id":"2","name":"bob","note":"say \"hi\""}]`, false},
		{"csv given", get, `{"Bucket":"b","Key":"noheader.csv"}`, `{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["id","who"],"MaxItems":1}`, `[{"id":"1","who":"ann"}]`, false},
		{"csv pipe", get, `{"Bucket":"b","Key":"pipe.csv"}`, `{"InputType":"CSV","CSVDelimiter":"PIPE"}`, `[{"id":"1","name":"ann"}]`, false},
		{"csv semicolon", get, `{"Bucket":"b","Key":"semi.csv"}`, `{"InputType":"CSV","CSVDelimiter":"SEMICOLON"}`, `[{"id":"1","name":"ann"}]`, false},
		{"csv space", get, `{"Bucket":"b","Key":"space.csv"}`, `{"InputType":"CSV","CSVDelimiter":"SPACE"}`, `[{"id":"1","name":"ann"}]`, false},
		{"csv tab", get, `{"Bucket":"b","Key":"tab.csv"}`, `{"InputType":"CSV","CSVDelimiter":"TAB"}`, `[{"id":"1","name":"ann"}]`, false},
		{"csv ragged rows", get, `{"Bucket":"b","Key":"ragged.csv"}`, `{"InputType":"CSV"}`, `[{"id":"1","name":"ann"},{"id":"2","name":""},{"id":"3","name":"cy"}]`, false},
		{"csv duplicate header", get, `{"Bucket":"b","Key":"dup.csv"}`, `{"InputType":"CSV"}`, `CSV headers cannot contain duplicates.`, true},
		{"csv duplicate given header", get, `{"Bucket":"b","Key":"noheader.csv"}`, `{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","a"]}`, `CSV headers cannot contain duplicates.`, true},
		{"csv bad quote", get, `{"Bucket":"b","Key":"quote.csv"}`, `{"InputType":"CSV"}`, `s3://b/quote.csv: row 2, column 8: extraneous or missing " in quoted-field`, true},
		{"csv empty", get, `{"Bucket":"b","Key":"empty.csv"}`, `{"InputType":"CSV"}`, `s3://b/empty.csv is empty: the CSV header row is missing`, true},
		{"manifest", get, `{"Bucket":"b","Key":"inv/manifest"}`, `{"InputType":"MANIFEST"}`,
			`[{"Bucket":"src","Key":"k1","Size":"10"},{"Bucket":"src","Key":"k2","Size":"20"},{"Bucket":"src","Key":"k3","Size":"30"}]`, false},
		{"manifest MaxItems across files", get, `{"Bucket":"b","Key":"inv/manifest"}`, `{"InputType":"MANIFEST","MaxItems":2}`,
			`[{"Bucket":"src","Key":"k1","Size":"10"},{"Bucket":"src","Key":"k2","Size":"20"}]`, false},
		{"manifest orc", get, `{"Bucket":"b","Key":"inv/orc"}`, `{"InputType":"MANIFEST"}`, `s3://b/inv/orc: fileFormat "ORC" is not supported (only CSV inventories can be read)`, true},
		{"missing object", get, `{"Bucket":"b","Key":"nope.json"}`, `{"InputType":"JSON"}`, `cannot read s3://b/nope.json: NoSuchKey: s3://b/nope.json does not exist`, true},
		{"list", itemio.ResourceListObjectsV2, `{"Bucket":"b","Prefix":"list/"}`, ``,
			`[{"Etag":"\"etag-list/a.txt\"","Key":"list/a.txt","LastModified":1668699881,"Size":3,"StorageClass":"STANDARD"},` +
				`{"Etag":"\"etag-list/b.txt\"","Key":"list/b.txt","LastModified":1668699881,"Size":2,"StorageClass":"STANDARD"}]`, false},
		{"list MaxItems", itemio.ResourceListObjectsV2, `{"Bucket":"b","Prefix":"list/"}`, `{"MaxItems":1}`,
			`[{"Etag":"\"etag-list/a.txt\"","Key":"list/a.txt","LastModified":1668699881,"Size":3,"StorageClass":"STANDARD"}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args, cfg any
			json.Unmarshal([]byte(tc.args), &args)
			if tc.config != "" {
				json.Unmarshal([]byte(tc.config), &cfg)
			}
			spec, err := itemio.ParseReader(tc.resource, args, cfg)
			if err != nil {
				t.Fatalf("ParseReader: %v", err)
			}
			items := []any{}
			err = itemio.ReadItems(context.Background(), store, spec, func(item any) error {
				items = append(items, item)
				return nil
			})
			if tc.wantErr {
				var ie *itemio.Error
				if !errors.As(err, &ie) || ie.Name != "States.ItemReaderFailed" {
					t.Fatalf("error %v, want States.ItemReaderFailed", err)
				}
				if ie.Cause != tc.want {
					t.Errorf("cause\n got %s\nwant %s", ie.Cause, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(items)
			if string(got) != tc.want {
				t.Errorf("items\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestReadItemsStopsOnCallbackError(t *testing.T) {
	store := newMemStore(objects)
	stop := errors.New("stop here")
	for _, spec := range []itemio.ReaderSpec{
		{Resource: itemio.ResourceGetObject, Bucket: "b", Key: "items.json", InputType: "JSON"},
		{Resource: itemio.ResourceGetObject, Bucket: "b", Key: "rows.csv", InputType: "CSV"},
		{Resource: itemio.ResourceListObjectsV2, Bucket: "b"},
	} {
		n := 0
		err := itemio.ReadItems(context.Background(), store, spec, func(any) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("%s %s: err %v after %d items, want the callback's error after 1", spec.Resource, spec.Key, err, n)
		}
	}
}

func TestParseReaderErrors(t *testing.T) {
	get := itemio.ResourceGetObject
	for _, tc := range []struct {
		resource     string
		args, config string
		want         string
	}{
		{"arn:aws:states:::s3:getObjectAttributes", `{"Bucket":"b"}`, `{}`, `ItemReader.Resource "arn:aws:states:::s3:getObjectAttributes" is not supported (want arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2)`},
		{get, `"b"`, `{}`, `ItemReader parameters must be an object, got string ("b")`},
		{get, `{"Key":"k"}`, `{"InputType":"JSON"}`, `ItemReader parameters: field Bucket is required`},
		{get, `{"Bucket":"b"}`, `{"InputType":"JSON"}`, `ItemReader parameters: field Key is required`},
		{get, `{"Bucket":"b","Key":7}`, `{"InputType":"JSON"}`, `ItemReader parameters: field Key must be a string, got number (7)`},
		{get, `{"Bucket":"b","Key":"k"}`, `{}`, `ItemReader.ReaderConfig: field InputType is required`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"PARQUET"}`, `ItemReader.ReaderConfig.InputType "PARQUET" is not supported (want CSV, JSON, JSONL or MANIFEST)`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"CSV","CSVDelimiter":"COLON"}`, `ItemReader.ReaderConfig.CSVDelimiter "COLON" is not supported (want COMMA, PIPE, SEMICOLON, SPACE or TAB)`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"CSV","CSVHeaderLocation":"GIVEN"}`, `ItemReader.ReaderConfig.CSVHeaders is required with CSVHeaderLocation GIVEN`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"CSV","CSVHeaders":["a"]}`, `ItemReader.ReaderConfig.CSVHeaders is only allowed with CSVHeaderLocation GIVEN`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"CSV","CSVHeaderLocation":"LAST_ROW"}`, `ItemReader.ReaderConfig.CSVHeaderLocation "LAST_ROW" is not supported (want FIRST_ROW or GIVEN)`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a",1]}`, `ItemReader.ReaderConfig.CSVHeaders[1] must be a string, got number (1)`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"JSON","MaxItems":1.5}`, `ItemReader.ReaderConfig.MaxItems must be an integer from 0 to 100000000, got number (1.5)`},
		{get, `{"Bucket":"b","Key":"k"}`, `{"InputType":"JSON","MaxItems":-1}`, `ItemReader.ReaderConfig.MaxItems must be an integer from 0 to 100000000, got number (-1)`},
	} {
		var args, cfg any
		json.Unmarshal([]byte(tc.args), &args)
		json.Unmarshal([]byte(tc.config), &cfg)
		_, err := itemio.ParseReader(tc.resource, args, cfg)
		var ie *itemio.Error
		if !errors.As(err, &ie) || ie.Name != "States.ItemReaderFailed" || ie.Cause != tc.want {
			t.Errorf("ParseReader(%s, %s):\n got %v\nwant States.ItemReaderFailed: %s", tc.args, tc.config, err, tc.want)
		}
	}
}
