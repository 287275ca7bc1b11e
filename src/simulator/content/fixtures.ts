/**
 * Binary media fixtures for the simulator, embedded as base64 so the package needs no asset files.
 *
 * GENERATED — do not edit by hand. Regenerate with FFmpeg 5.1 (Debian 12) and base64-encode the outputs:
 *
 *   ffmpeg -f lavfi -i testsrc=size=16x16:rate=1 -frames:v 1 -c:v mjpeg -pix_fmt yuvj420p -q:v 4 \
 *     -fflags +bitexact -flags +bitexact frame.jpg
 *   ffmpeg -f lavfi -i testsrc=size=64x36:rate=10 -t 1 -c:v libx264 -profile:v baseline \
 *     -pix_fmt yuv420p -bsf:v h264_mp4toannexb -f h264 out.h264
 *   base64 -w 96 frame.jpg; base64 -w 96 out.h264   # one quoted array element per output line
 *
 * libx264 writes its version and options into an SEI message, so a different x264 build gives
 * different (equally valid) bytes; tests check structure, never these exact bytes.
 *
 * @module
 */

/** A 16×16 baseline (SOF0) JFIF JPEG of FFmpeg's test pattern, 432 bytes. */
export const JPEG_16X16_BASE64: string = [
  '/9j/4AAQSkZJRgABAgAAAQABAAD/2wBDAAgICAkICQsLCwsLCw0MDQ0NDQ0NDQ0NDQ0ODg4REREODg4NDQ4OEBARERITEhER',
  'ERETExQUFBgYFxccHB0iIin/xABsAAEBAQAAAAAAAAAAAAAAAAAGAwUBAQEAAAAAAAAAAAAAAAAAAAECEAACAgEEAgIDAQAA',
  'AAAAAAACAwQBEQYSEwUhAEEiMSNCFREAAQQCAgEFAQAAAAAAAAAAARIRBAIFAyQTAEEyFCMhFf/AABEIABAAEAMBIgACEQAD',
  'EQD/2gAMAwEAAhEDEQA/ADNxJOntNQmKeapElK5NtQ0wugfa2KESqgIbpTsHVf1ZVm6x627zuA0b2iZEVClRgavnQlK6oklx',
  'CzjEbVVMoWGS/sI8mN2az7lS1QO40914/wCjGTSI0aKZb1nVcK1Loy/aG3fab+t34u8ZvHsdWxew1HOkRQgylbMYIVMdv8Bf',
  'gaAPhefzfi/ZkJyYxVsWwEYz/wCg3FNzx2UNvWZCQNnsWkH0fw1EbMhEgy2MmnzBtrtZBKcgIT7bfTc1qYXS1iao1kMj8//Z',
].join('');

/**
 * One second of 64×36, 10 fps H.264 (Constrained Baseline) as an Annex-B elementary stream:
 * SPS, PPS, SEI and an IDR picture, then nine P pictures; 1989 bytes.
 */
export const H264_64X36_10FPS_BASE64: string = [
  'AAAAAWdCwArZBH+fARAAAAMAEAAAAwFA8SJkgAAAAAFoy4PLIAAAAQYF//9t3EXpvebZSLeWLNgg2SPu73gyNjQgLSBjb3Jl',
  'IDE2NCByMzA5NSBiYWVlNDAwIC0gSC4yNjQvTVBFRy00IEFWQyBjb2RlYyAtIENvcHlsZWZ0IDIwMDMtMjAyMiAtIGh0dHA6',
  'Ly93d3cudmlkZW9sYW4ub3JnL3gyNjQuaHRtbCAtIG9wdGlvbnM6IGNhYmFjPTAgcmVmPTMgZGVibG9jaz0xOjA6MCBhbmFs',
  'eXNlPTB4MToweDExMSBtZT1oZXggc3VibWU9NyBwc3k9MSBwc3lfcmQ9MS4wMDowLjAwIG1peGVkX3JlZj0xIG1lX3Jhbmdl',
  'PTE2IGNocm9tYV9tZT0xIHRyZWxsaXM9MSA4eDhkY3Q9MCBjcW09MCBkZWFkem9uZT0yMSwxMSBmYXN0X3Bza2lwPTEgY2hy',
  'b21hX3FwX29mZnNldD0tMiB0aHJlYWRzPTEgbG9va2FoZWFkX3RocmVhZHM9MSBzbGljZWRfdGhyZWFkcz0wIG5yPTAgZGVj',
  'aW1hdGU9MSBpbnRlcmxhY2VkPTAgYmx1cmF5X2NvbXBhdD0wIGNvbnN0cmFpbmVkX2ludHJhPTAgYmZyYW1lcz0wIHdlaWdo',
  'dHA9MCBrZXlpbnQ9MjUwIGtleWludF9taW49MTAgc2NlbmVjdXQ9NDAgaW50cmFfcmVmcmVzaD0wIHJjX2xvb2thaGVhZD00',
  'MCByYz1jcmYgbWJ0cmVlPTEgY3JmPTIzLjAgcWNvbXA9MC42MCBxcG1pbj0wIHFwbWF4PTY5IHFwc3RlcD00IGlwX3JhdGlv',
  'PTEuNDAgYXE9MToxLjAwAIAAAAFliIQnDGAAsQ/ufjhLDlXQAXC34AHtpKBf3nBbwAKl33lYhQu+4PwHIl+mD/4KGHCAAjrU',
  'EAAIB4AMGFYAUfQVhwdq6hbmzPZ5AAvAslxwFy/gKCyg4LYZDiKYQcETCAACA8AAIQfDgAwABAKhiAAIEgAAg6RGDgACA8AA',
  'IaHEAAKgACF/BwABAiAvgeGkNOcAC5qdyB4xwC/sAAAe9gBYhzLMro9VCgACAd/gy3Out+9//wAST2gAwFS99+/eEAEQsAAg',
  'IAAQBwBwOAAcABe1yDu5gfb8H8ACwhF9NrGUziJMLIMBldp2m4P4eIa8OkAFg2GFlUwQ8j1M/kFxZM4Llqm1v1CAAIgAjgWE',
  'AQAdYO+A1EEzglQCAGnk+BECGD9aCtkiwMBSKj/wxDh2A4iO0sK+WLvBwEYvZZV6vA4gQQIIDAFGM2gCADXsEoQEAZNrjAgC',
  'ABusTgQJGH/hgHDsB5sZI8wRtlOZ/xScAAIAMzF7x24HAAEAEAAQEweEBD0EZpADAAu7ATYAYAH1PEoQQG+1BCGDptf/2DYd',
  '4LKlgdvgA3eZiX28ClSaM4CFhAAFwOcKCAAPCj+ZDAAQC1sBYfC6DiNpAnDJABAWcMMTD/w0cUAAQIfFAAJwANxfJFZYfL/1',
  '3XEAAKgACChC4AAgogD9ZiO2CA7/vyQIEB7mmgK0Gdp8QgB69IAVkAAEgA4A65EMA/9BqAAAICPxQABAT8QAAQBQABAwhiAA',
  'IKAAAh3QTcZfkLOW7Zf4Yh/8NQcBABPxQ/CAIECwABCPCAIgAAgDNsVLYqX++6b7xcAH/hqABjKWZ6JHf/7/pvBvf6GoUGGA',
  'AAICHhAAEQADihYICAAIC4AKyaHwABADizw5YAAgB3MEY6lKH6eQABSDGkAAExAAMucAAAABQZo4Tl4YINeVeLDLPg3UsqEt',
  'fpk3w3SufjaAF3Eu/4Yjvlvixlg8a8DF0LzCIpfxLvhjxfu4loWdSb5YAAAAAUGaVBuXwwQ2B3LFmWaqNy7FZREtYjpaZNT+',
  'GCmuWPqZkDDoV8FX5+4Kcf8MR3wr5YsBlgzR8WWsXAaBh1iR0OlKYl0+/DEa9l97lZA+YDdMfzu4TiuPssAAAAABQZpg3L4Y',
  'IW2izFOXCM2AKB89M/xbEd+GOfrNFW8bUM+t5eM6fDEd86yxljzsqYRFL+sVfwx1fc3EtYydPywAAAABQZqA3L4YIHcslyx5',
  'lnmsVlsoiWvyan8MXn6x3yjz4jIrxvj3clv8MUTLKWRYyxuwa8Xl4DRFL8+n34Y7k+kCR7E88S0Tjn2bm4X6FgAAAAFBmqBH',
  'L4YINeyzBuo72KyiJayafdMm/DBdtS2EPubLBiJIo4/m747hX3wxW+bMsGUHoSY61Ly8wiKWJHRbz3RLvwx6bw7lnLDEtGHG',
  'MD/4fjksAAAAAUGawFcvhiHcsj1M8y7dZrLdlES1hh96Yjvw5lwTZLGIpFHFWfeN98MQ0yzzJY62qi5hEUse0//DnbFMS0Yc',
  'R0m8JtxeixXAAAAAAUGa4FcvhiW5YbvFYl5REtfgtqI/hjVVNENMsc8sYbKK3n1v/hit9lgx6g16S8n4ilqTcSOiR34KNJ3H',
  'Y1Llh1csxLXLAAAAAUGbAHcvhjq5r22lX6Zf8OTWaxDyxmVz63/wR0rqLGZfDk2DXhPlmVCx4jqfEYlgAAAAAUGbICXL4b0i',
  'ewDiWsQ0P8mjH/hy7itxcgD7Z98S78Mc/XF00y1J8/N/hju5bl6lQCOmTfLA',
].join('');

/** Frame rate of {@link H264_64X36_10FPS_BASE64}. */
export const H264_64X36_FPS = 10;
