package s3

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v3"
)

// TestLargeWritesSetsTheWriteBuffer checks that the middleware gives
// VersityGW's fasthttp server its large write buffer on the first request
// and passes the request on.
func TestLargeWritesSetsTheWriteBuffer(t *testing.T) {
	app := fiber.New()
	app.Use("/", largeWrites())
	app.Get("/x", func(c fiber.Ctx) error { return c.SendString("ok") })
	if got := app.Server().WriteBufferSize; got >= gwWriteBuffer {
		t.Fatalf("write buffer before any request is already %d", got)
	}
	resp, err := app.Test(httptest.NewRequest("GET", "/x", nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200: the middleware must call the next handler", resp.StatusCode)
	}
	if got := app.Server().WriteBufferSize; got != gwWriteBuffer {
		t.Fatalf("write buffer after a request: %d, want %d", got, gwWriteBuffer)
	}
}
