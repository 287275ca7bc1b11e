#!/usr/bin/env bash
# Regenerates the simulator's picture fixtures in assets/simulator/pictures/: for each look and RTMS
# resolution, one JPEG still, one PNG still and a 30-frame H.264 loop, all made by FFmpeg from its own
# lavfi test sources (nothing is downloaded). Made with FFmpeg 5.1 and libx264 164 (Debian 12); another
# build gives different, equally valid bytes.
#
#   scripts/video-fixtures.sh            # writes into assets/simulator/pictures/
#   scripts/video-fixtures.sh OUT_DIR    # writes elsewhere
set -euo pipefail

out="${1:-$(dirname "$0")/../assets/simulator/pictures}"
mkdir -p "$out"

# MEDIA_RESOLUTION 1–4 (SD, HD, FHD, QHD), 16:9; SD is the 854×480 of the enum's two SD sizes.
sizes=(854x480 1280x720 1920x1080 2560x1440)
# Frames per H.264 loop: one IDR, then P-frames. Looping restarts at the IDR.
loop_frames=30
# x264 constant rate factor per look: the noisy test pattern costs most bytes, so it is coded coarser.
declare -A crf=([testsrc2]=36 [bars]=30 [testsrc]=30 [gradients]=32)

# The filter graph of one look at one size, ending in the pad [out0], which the lavfi device reads.
graph() {
  local look=$1 size=$2 w=${2%x*} h=${2#*x}
  case "$look" in
    # FFmpeg's second test pattern: colour bars, a moving ramp, noise blocks and a clock.
    testsrc2) echo "testsrc2=size=$size:rate=30[out0]" ;;
    # SMPTE HD bars with a quarter-size testsrc2 window: a shared screen with a video on it.
    bars)
      local pw=$((w / 4 / 2 * 2)) ph=$((h / 4 / 2 * 2))
      echo "smptehdbars=size=$size:rate=30[bg];testsrc2=size=${pw}x${ph}:rate=30[pip];[bg][pip]overlay=x=W/16:y=H/16[out0]"
      ;;
    # FFmpeg's first test pattern: bars on a circle, a colour ramp and a frame counter.
    testsrc) echo "testsrc=size=$size:rate=30[out0]" ;;
    # Three fixed colours blended and turning slowly.
    gradients) echo "gradients=size=$size:rate=30:n=3:c0=0x1f4e79:c1=0xf2a541:c2=0x3a7d44:seed=7:speed=0.05[out0]" ;;
    *) echo "unknown look $look" >&2; exit 1 ;;
  esac
}

common=(-hide_banner -loglevel error -y -fflags +bitexact)

for look in testsrc2 bars testsrc gradients; do
  for size in "${sizes[@]}"; do
    base="$out/$look-$size"
    g=$(graph "$look" "$size")
    # Baseline (SOF0) JFIF with 4:2:0 chroma, as cameras and Zoom's samples produce.
    ffmpeg "${common[@]}" -f lavfi -i "$g" -frames:v 1 -update 1 \
      -c:v mjpeg -pix_fmt yuvj420p -q:v 5 -flags +bitexact "$base.jpg"
    # 8-bit RGB, deflated once here so the simulator never compresses at run time.
    ffmpeg "${common[@]}" -f lavfi -i "$g" -frames:v 1 -update 1 \
      -c:v png -pix_fmt rgb24 -compression_level 9 -pred mixed -flags +bitexact "$base.png"
    # Constrained Baseline, one reference frame, no scene-cut keyframes: exactly one IDR (with SPS and
    # PPS in front) followed by P-frames. The SEI in which x264 writes its version and options is removed.
    ffmpeg "${common[@]}" -f lavfi -i "$g" -frames:v "$loop_frames" \
      -c:v libx264 -profile:v baseline -preset slow -crf "${crf[$look]}" -pix_fmt yuv420p \
      -x264-params "keyint=infinite:scenecut=0:ref=1" \
      -bsf:v filter_units=remove_types=6 -flags +bitexact -f h264 "$base.h264"
  done
done

ls -l "$out"
du -ch "$out"/* | tail -n 1
