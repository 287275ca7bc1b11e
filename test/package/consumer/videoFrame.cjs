// Starts the installed simulator (loaded with require(), or with import when the argument is "import"),
// takes one stream's video by hand over `ws` at two negotiated settings, and prints what arrived: the
// size in the JPEG's start-of-frame segment, and the NAL unit types of the first H.264 frame.
const { createHmac } = require('node:crypto');
const WebSocket = require('ws');

const FRAME_TIMEOUT_MS = 20_000;

function jpegSize(jpeg) {
  let at = 2;
  while (at + 9 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1];
    if (marker === 0xc0 || marker === 0xc2) return [jpeg.readUInt16BE(at + 7), jpeg.readUInt16BE(at + 5)];
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return null;
}

function nalTypes(unit) {
  const types = [];
  for (let i = 0; i + 3 < unit.length; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      types.push(unit[i + 3] & 0x1f);
      i += 2;
    }
  }
  return types;
}

/** Opens a socket that answers keep-alives and hands every message to `onMessage`. */
function open(url, onMessage) {
  const ws = new WebSocket(url);
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString('utf8'));
    if (msg.msg_type === 12) ws.send(JSON.stringify({ msg_type: 13, timestamp: msg.timestamp }));
    onMessage(msg);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Starts a stream, connects its signaling and video with `videoParams`, and resolves with one frame. */
async function firstFrame(sim, videoParams) {
  const info = sim.startStream({ participants: 1, durationMs: 60_000 });
  const { clientId, clientSecret } = sim.credentials;
  const ids = { [info.instanceKey]: info.instanceId, rtms_stream_id: info.streamId };
  const signature = createHmac('sha256', clientSecret)
    .update(`${clientId},${info.instanceId},${info.streamId}`)
    .digest('hex');
  const sockets = [];
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no video frame arrived')), FRAME_TIMEOUT_MS);
      const fail = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      open(info.serverUrls[0], (msg) => {
        if (msg.msg_type !== 2) return;
        if (msg.status_code !== 0) return fail(new Error(`signaling refused: ${JSON.stringify(msg)}`));
        open(msg.media_server.server_urls.video, (media) => {
          if (media.msg_type === 4) {
            if (media.status_code !== 0) return fail(new Error(`media refused: ${JSON.stringify(media)}`));
            sockets[0].send(JSON.stringify({ msg_type: 7, rtms_stream_id: info.streamId }));
          } else if (media.msg_type === 15) {
            clearTimeout(timer);
            resolve(Buffer.from(media.content.data, 'base64'));
          }
        }).then((ws) => {
          sockets.push(ws);
          ws.send(
            JSON.stringify({
              msg_type: 3,
              protocol_version: 1,
              ...ids,
              signature,
              media_type: 2,
              payload_encryption: false,
              media_params: { video: videoParams },
            }),
          );
        }, fail);
      }).then((ws) => {
        sockets.push(ws);
        ws.send(JSON.stringify({ msg_type: 1, protocol_version: 1, ...ids, signature }));
      }, fail);
    });
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

async function main() {
  const mode = process.argv[2] === 'import' ? 'import' : 'require';
  const { Simulator } = mode === 'import' ? await import('rtmskit/simulator') : require('rtmskit/simulator');
  const sim = await Simulator.start({ timeScale: 10 });
  try {
    const jpeg = await firstFrame(sim, { codec: 5, resolution: 3, fps: 2 });
    const h264 = await firstFrame(sim, { codec: 7, resolution: 1, fps: 10 });
    console.log(
      JSON.stringify({ mode, jpeg: { size: jpegSize(jpeg), bytes: jpeg.length }, h264: nalTypes(h264) }),
    );
  } finally {
    await sim.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
