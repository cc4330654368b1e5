// Command mkicon draws the example service's icon, examples/hello/hello.png,
// so that the icon is made in this repository and can be redrawn:
//
//	go run ./internal/cmd/mkicon examples/hello/hello.png
//
// The drawing is pure arithmetic over pixels: the same program writes the
// same bytes.
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

const size = 256

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkicon OUT.png")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mkicon:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, draw()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// draw renders a rounded tile with a blue gradient, a white "h" and a green
// status dot: recognisable down to 16 px.
func draw() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			a := coverage(roundedBox(fx, fy, 8, 8, 248, 248, 48))
			if a == 0 {
				continue
			}
			t := fy / size
			c := color.NRGBA{R: uint8(20 + 20*t), G: uint8(90 + 60*t), B: uint8(200 - 40*t), A: 255}
			// The letter: a stem and an arch.
			stem := roundedBox(fx, fy, 72, 52, 108, 204, 10)
			arch := math.Max(math.Abs(math.Hypot(fx-136, fy-140)-46)-18, fy-140)
			leg := roundedBox(fx, fy, 164, 140, 200, 204, 10)
			letter := math.Min(stem, math.Min(math.Max(arch, fx-200), leg))
			if w := coverage(letter); w > 0 {
				c = blend(c, color.NRGBA{255, 255, 255, 255}, w)
			}
			if d := coverage(math.Hypot(fx-196, fy-66) - 26); d > 0 {
				c = blend(c, color.NRGBA{60, 220, 120, 255}, d)
			}
			c.A = uint8(255 * a)
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// roundedBox is the signed distance from (x, y) to a rounded rectangle.
func roundedBox(x, y, x0, y0, x1, y1, r float64) float64 {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	dx, dy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	out := math.Hypot(math.Max(dx, 0), math.Max(dy, 0))
	return out + math.Min(math.Max(dx, dy), 0) - r
}

// coverage turns a signed distance into pixel coverage (1 px soft edge).
func coverage(d float64) float64 { return math.Min(1, math.Max(0, 0.5-d)) }

func blend(a, b color.NRGBA, t float64) color.NRGBA {
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}
