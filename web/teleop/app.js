// The aca_sim teleop page: a foxglove.sdk.v1 WebSocket client (subscribe to the JSON
// channels, fetch the URDF asset, publish commands on /aca/teleop/command), a three.js view
// of the ACA built by urdf-loader from /robot_description, and the controls. Served by
// `aca-sim teleop` (aca_sim.nodes.teleop_web_node); the commands are documented in
// aca_sim.teleop.web_commands.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import URDFLoader from 'urdf-loader';

const SUBPROTOCOL = 'foxglove.sdk.v1';
const URDF_URI = 'package://aca_sim/urdf/aca.urdf';
const COMMAND_TOPIC = '/aca/teleop/command';
const COMMAND_CHANNEL = 1;
const JSON_TOPICS = ['/joint_states', '/aca/tubes', '/aca/teleop/menus', '/aca/teleop/events',
  '/aca/cachecam/png', '/aca/teleop/servo'];
const SERVO_PERIOD_MS = 50;  // a held jog button streams a servo command this often
const SHA_JOINTS = ['sha_z', 'sha_shoulder', 'sha_elbow'];
const STEP_THINGS = ['fork_target', 'station_volume_probe', 'station_cachecam',
  'station_seal_dispenser', 'station_sealing', 'station_bst', 'station_bitcar_port',
  'station_drop'];
const SEALS = ['none', 'inserted', 'sealed'];

const token = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);
const state = { robot: null, joints: {}, menus: { things: {}, busy: [] }, nextId: 1 };

// ---------------------------------------------------------------- the 3D view
const canvas = $('view');
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x30343c);
const camera = new THREE.PerspectiveCamera(40, 1, 0.01, 20);
camera.up.set(0, 0, 1);  // ROS frames: z up
camera.position.set(0.75, -0.65, 0.55);
const controls = new OrbitControls(camera, canvas);
controls.target.set(0.12, 0.0, -0.05);
controls.update();
scene.add(new THREE.HemisphereLight(0xffffff, 0x404040, 2.0));
const sun = new THREE.DirectionalLight(0xffffff, 1.5);
sun.position.set(1, -1, 2);
scene.add(sun);
const grid = new THREE.GridHelper(1.2, 24, 0x666666, 0x444444);
grid.rotation.x = Math.PI / 2;
grid.position.z = -0.25;
scene.add(grid);

function resize() {
  const { clientWidth: w, clientHeight: h } = canvas;
  if (canvas.width !== w || canvas.height !== h) {
    renderer.setSize(w, h, false);
    camera.aspect = w / Math.max(h, 1);
    camera.updateProjectionMatrix();
  }
}
function frame() {
  resize();
  renderer.render(scene, camera);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

function showRobot(urdfText) {
  const robot = new URDFLoader().parse(urdfText);
  if (state.robot) scene.remove(state.robot);
  state.robot = robot;
  scene.add(robot);
  applyJoints();
  // Frame the assembly: look at its middle from a distance that shows all of it.
  const box = new THREE.Box3().setFromObject(robot);
  const centre = box.getCenter(new THREE.Vector3());
  const size = box.getSize(new THREE.Vector3()).length();
  controls.target.copy(centre);
  camera.position.copy(centre).add(new THREE.Vector3(0.55, -0.75, 0.6).multiplyScalar(size));
  camera.near = size / 100;
  camera.far = size * 20;
  camera.updateProjectionMatrix();
  grid.position.z = box.min.z;
  controls.update();
  if (state.tubeMessage) drawTubes(state.tubeMessage);
}
function applyJoints() {
  if (!state.robot) return;
  for (const [name, value] of Object.entries(state.joints)) {
    if (state.robot.joints[name]) state.robot.setJointValue(name, value);
  }
}

// ---------------------------------------------------------------- the WebSocket client
class FoxgloveClient {
  constructor(url, onMessage, onAsset, onStatus) {
    this.onMessage = onMessage;
    this.onAsset = onAsset;
    this.onStatus = onStatus;
    this.topicsBySubscription = new Map();
    this.subscribed = new Set();
    this.nextSubscription = 1;
    this.ws = new WebSocket(url, [SUBPROTOCOL]);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => onStatus('connected', true);
    this.ws.onclose = () => onStatus('disconnected', false);
    this.ws.onerror = () => onStatus('connection failed', false);
    this.ws.onmessage = (event) => (typeof event.data === 'string'
      ? this.control(JSON.parse(event.data)) : this.binary(event.data));
  }

  send(message) { this.ws.send(JSON.stringify(message)); }

  // The URDF is an asset; until the sim has published /robot_description it is not found,
  // and the page asks again a second later.
  fetchUrdf() {
    this.assetRequests = (this.assetRequests || 0) + 1;
    this.send({ op: 'fetchAsset', uri: URDF_URI, requestId: this.assetRequests });
  }

  control(message) {
    if (message.op === 'serverInfo') {
      this.send({ op: 'advertise', channels: [{ id: COMMAND_CHANNEL, topic: COMMAND_TOPIC,
        encoding: 'json', schemaName: 'aca_sim/TeleopCommand' }] });
      this.fetchUrdf();
    } else if (message.op === 'advertise') {
      const subscriptions = [];
      for (const channel of message.channels) {
        if (JSON_TOPICS.includes(channel.topic) && !this.subscribed.has(channel.topic)) {
          const id = this.nextSubscription++;
          this.topicsBySubscription.set(id, channel.topic);
          this.subscribed.add(channel.topic);
          subscriptions.push({ id, channelId: channel.id });
        }
      }
      if (subscriptions.length) this.send({ op: 'subscribe', subscriptions });
    }
  }

  binary(buffer) {
    const view = new DataView(buffer);
    const opcode = view.getUint8(0);
    if (opcode === 1) {  // message data: subscription id, log time, payload
      const topic = this.topicsBySubscription.get(view.getUint32(1, true));
      const payload = new TextDecoder().decode(new Uint8Array(buffer, 13));
      if (topic) this.onMessage(topic, JSON.parse(payload));
    } else if (opcode === 4) {  // fetch asset response
      const status = view.getUint8(5);
      const errorLength = view.getUint32(6, true);
      const error = new TextDecoder().decode(new Uint8Array(buffer, 10, errorLength));
      const data = new TextDecoder().decode(new Uint8Array(buffer, 10 + errorLength));
      this.onAsset(status === 0 ? data : null, error);
    }
  }

  publish(message) {
    const body = new TextEncoder().encode(JSON.stringify(message));
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint8(0, 1);
    new DataView(frame.buffer).setUint32(1, COMMAND_CHANNEL, true);
    frame.set(body, 5);
    this.ws.send(frame);
  }
}

// ---------------------------------------------------------------- commands and events
let client = null;
function command(fields) {
  const id = state.nextId++;
  client.publish({ id, token, ...fields });
  $('status-action').textContent = fields.op === 'step' ? fields.action : fields.op;
  $('status-phase').textContent = 'sent';
  return id;
}

function onEvent(event) {
  if (event.type === 'feedback') {
    $('status-action').textContent = event.action;
    $('status-phase').textContent = event.phase;
    $('status-progress').value = event.progress;
    $('status-force').textContent = event.force_n == null ? '' : `${event.force_n.toFixed(1)} N`;
    return;
  }
  if (event.type === 'accepted') {
    $('status-phase').textContent = event.message || 'accepted';
    return;
  }
  const ok = event.type === 'result' && event.code_name === 'NONE';
  const result = $('result');
  result.className = ok ? 'ok' : 'bad';
  const what = event.action ? `${event.action}: ` : '';
  const detail = event.message ? ` (${event.message})` : '';
  result.textContent = ok
    ? `${what}done in ${event.duration_s.toFixed(1)} s`
    : `${what}${event.code_name}: ${event.code_words}${detail}`;
  if (ok) $('status-progress').value = 1;
}

// ---------------------------------------------------------------- panels
function showJoints(message) {
  message.name.forEach((name, i) => { state.joints[name] = message.position[i]; });
  applyJoints();
  $('sim-time').textContent = `sim t = ${message.stamp_s.toFixed(1)} s`;
  for (const name of SHA_JOINTS) {
    const cell = document.querySelector(`#joint-${name} .value`);
    const value = state.joints[name];
    if (cell && value !== undefined) {
      cell.textContent = name === 'sha_z' ? `${(value * 1000).toFixed(1)} mm`
        : `${value.toFixed(3)} rad`;
    }
  }
}

function buildJointRows() {
  const body = document.querySelector('#joints tbody');
  for (const name of SHA_JOINTS) {
    const row = document.createElement('tr');
    row.id = `joint-${name}`;
    row.innerHTML = `<td>${name}</td><td class="value">–</td>`
      + `<td><button id="jog-${name}-minus">−</button></td>`
      + `<td><button id="jog-${name}-plus">+</button></td>`;
    body.append(row);
    for (const [suffix, sign] of [['minus', -1], ['plus', 1]]) {
      holdToJog(row.querySelector(`#jog-${name}-${suffix}`),
        () => ({ joint: name, speed: sign * Number($('joint-speed').value) }));
    }
  }
  for (const button of document.querySelectorAll('#fork-jog button')) {
    holdToJog(button, () => ({ axis: button.dataset.axis, frame: $('fork-frame').value,
      speed: Number(button.dataset.sign) * Number($('fork-speed').value) }));
  }
}

// While a jog button is held, stream servo commands (the servo halts the arm 0.1 s after
// the last one, so a lost release still stops it); letting go sends a zero command.
function holdToJog(button, fields) {
  let timer = null;
  const send = (speed) => client.publish({ id: 0, token, op: 'servo', ...fields(),
    ...(speed === undefined ? {} : { speed }) });
  const stop = () => {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    send(0);
  };
  button.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    button.setPointerCapture(event.pointerId);
    send();
    timer = setInterval(send, SERVO_PERIOD_MS);
  });
  for (const kind of ['pointerup', 'pointercancel', 'lostpointercapture']) {
    button.addEventListener(kind, stop);
  }
  window.addEventListener('blur', stop);
}

function showServo(message) {
  const pill = $('servo-status');
  pill.textContent = `servo: ${message.message}`;
  pill.className = `pill ${message.code === 0 ? 'ok' : 'bad'}`;
}

function entryButtons(entries, into, prefix) {
  for (const entry of entries) {
    if (entry.entries) {
      const group = document.createElement('span');
      group.textContent = `${entry.title}: `;
      into.append(group);
      entryButtons(entry.entries, into, `${prefix}-${entry.title}`);
    } else {
      const button = document.createElement('button');
      button.textContent = entry.title;
      button.dataset.action = entry.action;
      button.disabled = entry.busy;
      button.title = entry.busy ? 'a device it needs is busy' : JSON.stringify(entry.goal);
      button.onclick = () => command({ op: 'step', action: entry.action, goal: entry.goal });
      into.append(button);
    }
  }
}

function showMenus(message) {
  state.menus = message;
  const steps = $('steps');
  steps.replaceChildren();
  for (const thing of STEP_THINGS) {
    const entries = message.things[thing] || [];
    if (!entries.length) continue;
    const group = document.createElement('div');
    group.className = 'group';
    group.id = `steps-${thing}`;
    const label = document.createElement('span');
    label.textContent = thing === 'fork_target' ? 'held tube' : thing.replace('station_', '');
    group.append(label);
    entryButtons(entries, group, thing);
    steps.append(group);
  }
  showTubes(state.tubes);
}

// The tubes are not in the URDF: a cylinder each, hung on its parent link (so a held tube
// moves with the fork), coloured as the rviz markers are.
const TUBE_COLOURS = { empty: 0xbfbfbf, sample: 0xff9919, inserted: 0x4073f2,
  sealed: 0x33bf4d, stored_unsealed: 0xe62626 };
function tubeColour(tube) {
  if (tube.seal_state === 2) return TUBE_COLOURS.sealed;
  if (tube.seal_state === 1) return TUBE_COLOURS.inserted;
  if (tube.contents === 'empty' || (tube.contents === 'witness_media' && !tube.sample_height_m)) {
    return TUBE_COLOURS.empty;
  }
  return tube.location.startsWith('slot') ? TUBE_COLOURS.stored_unsealed : TUBE_COLOURS.sample;
}
function drawTubes(message) {
  if (!state.robot) return;
  for (const mesh of state.tubeMeshes || []) mesh.removeFromParent();
  state.tubeMeshes = [];
  const shape = new THREE.CylinderGeometry(message.radius_m, message.radius_m, message.length_m, 16);
  shape.rotateX(Math.PI / 2);  // three's cylinders stand on y; the tube axis is z
  for (const tube of message.tubes) {
    const parent = tube.parent === state.robot.name ? state.robot
      : state.robot.frames[tube.parent];
    if (!parent) continue;
    const mesh = new THREE.Mesh(shape, new THREE.MeshStandardMaterial({ color: tubeColour(tube) }));
    mesh.position.set(tube.xyz[0], tube.xyz[1], tube.xyz[2] + message.length_m / 2);
    mesh.name = `tube_${tube.tube_id}`;
    parent.add(mesh);
    state.tubeMeshes.push(mesh);
  }
}

function showTubes(tubes) {
  if (!tubes) return;
  state.tubes = tubes;
  const body = document.querySelector('#tubes tbody');
  body.replaceChildren();
  for (const tube of tubes) {
    const row = document.createElement('tr');
    row.id = `tube-${tube.tube_id}`;
    const contents = tube.contents === 'empty' ? 'empty'
      : `${tube.contents} ${(tube.sample_height_m * 1000).toFixed(0)} mm`;
    row.innerHTML = `<td>${tube.tube_id}</td><td>${tube.location}</td>`
      + `<td class="${tube.contents === 'empty' ? '' : 'sample'}">${contents}</td>`
      + `<td class="${SEALS[tube.seal_state]}">${SEALS[tube.seal_state]}</td>`
      + `<td>${tube.sample_name}</td><td class="actions"></td>`;
    const slot = `slot_${String(tube.home_slot).padStart(2, '0')}`;
    entryButtons(state.menus.things[slot] || [], row.querySelector('.actions'), slot);
    body.append(row);
  }
}

function showImage(message) {
  $('cachecam').src = `data:image/png;base64,${message.png_base64}`;
  const focus = message.focus ? `${message.focus} in focus, ` : '';
  $('cachecam-time').textContent = `${focus}${message.width}×${message.height}, `
    + `sim t = ${message.stamp_s.toFixed(1)} s`;
}

// ---------------------------------------------------------------- start
async function start() {
  buildJointRows();
  $('cancel').onclick = () => command({ op: 'cancel' });
  $('custom-send').onclick = () => {
    let goal;
    try {
      goal = JSON.parse($('custom-goal').value || '{}');
    } catch (error) {
      onEvent({ type: 'error', code_name: 'INVALID_GOAL', code_words: 'the goal is not JSON',
        message: String(error) });
      return;
    }
    command({ op: 'step', action: $('custom-action').value, goal });
  };
  const config = await (await fetch('config.json')).json();
  const url = `ws://${location.hostname}:${config.ws_port}`;
  const handlers = {
    '/joint_states': showJoints,
    '/aca/tubes': (m) => { state.tubeMessage = m; showTubes(m.tubes); drawTubes(m); },
    '/aca/teleop/menus': showMenus,
    '/aca/teleop/events': onEvent,
    '/aca/cachecam/png': showImage,
    '/aca/teleop/servo': showServo,
  };
  client = new FoxgloveClient(
    url,
    (topic, message) => handlers[topic](message),
    (urdf) => (urdf ? showRobot(urdf) : setTimeout(() => client.fetchUrdf(), 1000)),
    (words, ok) => {
      $('connection').textContent = words;
      $('connection').className = `pill ${ok ? 'ok' : 'bad'}`;
    },
  );
  window.acaTeleop = { state, command };  // for scripted use and tests
}
start();
