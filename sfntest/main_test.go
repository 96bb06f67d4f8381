package sfntest_test

import (
	"os"
	"testing"

	"github.com/stepwise-dev/stepwise/sfntest"
)

// TestMain reports workflow coverage after the tests when STEPWISE_COVER,
// STEPWISE_COVER_JSON or STEPWISE_COVER_SVG ask for it.
func TestMain(m *testing.M) { os.Exit(sfntest.Main(m)) }
