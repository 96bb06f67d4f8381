package reportsteps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/reportsteps"
)

// BenchmarkPart measures one part step over an in-memory S3: ranged GET,
// parse, group, aggregate, write the partial; 32 groups of 5000 users,
// as bench/report has (their count_distinct sets do not fit in cache).
func BenchmarkPart(b *testing.B) {
	var data bytes.Buffer
	data.WriteString("order_id,region,channel,amount,user,note\n")
	rng := rand.New(rand.NewPCG(1, 2))
	regions := []string{"Zürich", "東京", "São Paulo", `"a ""quoted""` + "\n" + `region"`, "", `"x,y"`, "Kraków", "Ελλάδα"}
	for i := 0; data.Len() < 16<<20; i++ {
		fmt.Fprintf(&data, "%d,%s,%s,%d.%02d,u%d,\"delivered to the side door, thank you\"\n", i, regions[rng.IntN(len(regions))], []string{"web", "shop", "Straße", ""}[rng.IntN(4)], rng.IntN(3000)-1000, rng.IntN(100), rng.IntN(5000))
	}
	st := objstore.NewMemory()
	st.PutBytes(bucket, "src.csv", data.Bytes())
	env := newEnv(st)
	var in reportsteps.PlanInput
	in.Execution = "bench"
	in.Input.Request = json.RawMessage(`{"source":{"key":"src.csv"},"group_by":["region","channel"],"aggregates":[{"op":"count"},{"op":"sum","column":"amount"},{"op":"avg","column":"amount"},{"op":"min","column":"amount"},{"op":"max","column":"amount"},{"op":"count_distinct","column":"user"}],"part_size":1073741824}`)
	ctx := context.Background()
	po, err := reportsteps.NewPlan(env)(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	var parts []reportsteps.PartSpec
	if err := json.Unmarshal(mustObject(b, st, po.Manifest.Key), &parts); err != nil {
		b.Fatal(err)
	}
	part := reportsteps.NewPart(env)
	b.SetBytes(int64(data.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := part(ctx, reportsteps.PartInput{Job: po.Job, PlanKey: po.PlanKey, Part: parts[0]}); err != nil {
			b.Fatal(err)
		}
	}
}

func mustObject(b *testing.B, st *objstore.Memory, key string) []byte {
	data, ok := st.Object(bucket, key)
	if !ok {
		b.Fatalf("no %s", key)
	}
	return data
}
