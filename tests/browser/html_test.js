#!/usr/bin/env node
/*
 * html_test.js — the page of --html, opened in headless Chromium.
 *
 * Usage: node html_test.js TCPNARRATE SOURCE_ROOT OUT_DIR
 *
 * For the textbook connection (--reference) and a real capture with a loss,
 * it writes the page, opens it from file:// with every request that is not
 * the page itself aborted and recorded, steps through every segment with the
 * arrow keys, and checks that what the page shows (frame number, header
 * fields, both states, verdicts) equals tcpnarrate's own --json output; the
 * console must stay clean and no request may leave the page. A crafted
 * capture whose payload holds "</script><img src=x onerror=alert(1)>" and
 * terminal escape sequences must leave the page inert and show the text
 * literally. Screenshots go to OUT_DIR.
 *
 * Exits 77 (skipped) when Chromium or playwright-core is missing.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const CHROMIUM = process.env.TN_CHROMIUM || '/usr/bin/chromium';

function skip(why) {
	console.log('SKIP: ' + why);
	process.exit(77);
}

function loadPlaywright() {
	const paths = [path.join(__dirname, 'node_modules')];
	if (process.env.NODE_PATH)
		paths.push(...process.env.NODE_PATH.split(':'));
	try {
		paths.push(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim());
	} catch (e) { /* no npm: only the paths above */ }
	try {
		return require(require.resolve('playwright-core', { paths: paths }));
	} catch (e) {
		return null;
	}
}

const [bin, root, outDir] = process.argv.slice(2);
if (!bin || !root || !outDir) {
	console.error('usage: html_test.js TCPNARRATE SOURCE_ROOT OUT_DIR');
	process.exit(2);
}
if (!fs.existsSync(CHROMIUM))
	skip(CHROMIUM + ' not found (apt-get install chromium)');
const pw = loadPlaywright();
if (!pw)
	skip('playwright-core not found (npm install -g playwright-core)');

const failures = [];
function check(ok, what) {
	if (!ok)
		failures.push(what);
	return ok;
}

function tcpnarrate(args) {
	return execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/* ---- a crafted capture: a handshake, then a request whose payload is hostile ---- */
function csum(buf) {
	let s = 0;
	for (let i = 0; i + 1 < buf.length; i += 2)
		s += buf.readUInt16BE(i);
	if (buf.length & 1)
		s += buf[buf.length - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (~s) & 0xffff;
}
function packet(fromClient, seq, ack, flags, payload) {
	const cip = [10, 9, 0, 1], sip = [10, 9, 0, 2];
	const src = fromClient ? cip : sip, dst = fromClient ? sip : cip;
	const tcp = Buffer.alloc(20 + payload.length);
	tcp.writeUInt16BE(fromClient ? 40000 : 80, 0);
	tcp.writeUInt16BE(fromClient ? 80 : 40000, 2);
	tcp.writeUInt32BE(seq >>> 0, 4);
	tcp.writeUInt32BE(ack >>> 0, 8);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp.writeUInt16BE(64240, 14);
	payload.copy(tcp, 20);
	const pseudo = Buffer.concat([Buffer.from(src), Buffer.from(dst), Buffer.from([0, 6]),
		Buffer.from([tcp.length >> 8, tcp.length & 255]), tcp]);
	tcp.writeUInt16BE(csum(pseudo), 16);
	const ip = Buffer.alloc(20);
	ip[0] = 0x45;
	ip.writeUInt16BE(20 + tcp.length, 2);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	Buffer.from(src).copy(ip, 12);
	Buffer.from(dst).copy(ip, 16);
	ip.writeUInt16BE(csum(ip), 10);
	const eth = Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
	return Buffer.concat([eth, ip, tcp]);
}
function hostileCapture(file) {
	const payload = Buffer.from('GET /</script><img src=x onerror=alert(1)>\x1b[31mRED\x1b]0;pwned\x07 ' +
		'\u2028<!-- & --> HTTP/1.1\r\n\r\n', 'utf8');
	const A = 0x10000, B = 0x20000, P = 0x18, S = 0x02, K = 0x10;
	const frames = [packet(true, A, 0, S, Buffer.alloc(0)), packet(false, B, A + 1, S | K, Buffer.alloc(0)),
		packet(true, A + 1, B + 1, K, Buffer.alloc(0)), packet(true, A + 1, B + 1, P, payload),
		packet(false, B + 1, A + 1 + payload.length, K, Buffer.alloc(0))];
	const parts = [];
	const gh = Buffer.alloc(24);
	gh.writeUInt32LE(0xa1b2c3d4, 0);
	gh.writeUInt16LE(2, 4);
	gh.writeUInt16LE(4, 6);
	gh.writeUInt32LE(65535, 16);
	gh.writeUInt32LE(1, 20);
	parts.push(gh);
	frames.forEach((f, i) => {
		const rh = Buffer.alloc(16);
		rh.writeUInt32LE(1767225600, 0);
		rh.writeUInt32LE(1000 * i, 4);
		rh.writeUInt32LE(f.length, 8);
		rh.writeUInt32LE(f.length, 12);
		parts.push(rh, f);
	});
	fs.writeFileSync(file, Buffer.concat(parts));
	return payload;
}

/* ---- the page under test ---- */
async function openPage(browser, file, events) {
	const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
	const url = 'file://' + file;
	await page.route('**/*', (route) => {
		if (route.request().url() === url)
			return route.continue();
		events.requests.push(route.request().url());
		return route.abort();
	});
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning')
			events.console.push(m.type() + ': ' + m.text());
	});
	page.on('pageerror', (e) => events.console.push('page error: ' + e.message));
	page.on('dialog', (d) => {
		events.dialogs.push(d.message());
		d.dismiss().catch(() => {});
	});
	page.on('request', (r) => {
		if (r.url() !== url)
			events.requests.push(r.url());
	});
	await page.goto(url);
	await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
	return page;
}

/* What the page shows for the selected segment. */
function shown(page) {
	return page.evaluate(() => {
		const q = (sel) => { const e = document.querySelector(sel); return e ? e.textContent : null; };
		const fields = {};
		for (const tr of document.querySelectorAll('#headers table.fields tr[data-field]'))
			fields[tr.getAttribute('data-field')] = tr.querySelector('td.value').textContent;
		return {
			n: q('#sel-n'),
			client: q('#state-client'),
			server: q('#state-server'),
			fields: fields,
			verdicts: Array.from(document.querySelectorAll('#verdicts li[data-verdict]'))
				.map((li) => li.getAttribute('data-verdict')),
			position: q('#position'),
			litClient: q('.machine[data-side=client] .fsm-state.lit text'),
			taken: document.querySelectorAll('.fsm-edge.taken').length,
		};
	});
}

function compareSegment(name, got, s) {
	const where = name + ' #' + s.n;
	check(got.n === '#' + s.n, where + ': frame shown is ' + got.n);
	check(got.client === s.states.client.after, where + ': client state ' + got.client + ', JSON ' +
		s.states.client.after);
	check(got.server === s.states.server.after, where + ': server state ' + got.server + ', JSON ' +
		s.states.server.after);
	check(got.litClient === s.states.client.after, where + ': lit client state ' + got.litClient);
	const moved = s.states.client.before !== s.states.client.after ||
		s.states.server.before !== s.states.server.after;
	check(!moved || got.taken > 0, where + ': a state changed but no transition is marked');
	const f = got.fields, t = s.tcp;
	const want = {
		'tcp.sport': String(s.sport), 'tcp.dport': String(s.dport),
		'tcp.seq': t.seq + ' (raw ' + t.seq_raw + ')',
		'tcp.ack': (t.ack === null ? '—' : String(t.ack)) + ' (raw ' + t.ack_raw + ')',
		'tcp.flags': t.flags.length ? t.flags.join(' ') : 'none',
		'tcp.urgent': String(t.urgent), 'tcp.hdr_len': t.hdr_len + ' B',
		'ip.src': s.ip.src, 'ip.dst': s.ip.dst,
	};
	if (s.ip.version === 4) {
		want['ip.ttl'] = String(s.ip.ttl);
		want['ip.id'] = String(s.ip.id);
		want['ip.total_len'] = String(s.ip.total_len);
	}
	for (const k of Object.keys(want))
		check(f[k] === want[k], where + ': ' + k + ' shown "' + f[k] + '", JSON "' + want[k] + '"');
	check(f['tcp.window'] && f['tcp.window'].startsWith(String(t.window)), where + ': window ' +
		f['tcp.window']);
	check(JSON.stringify(got.verdicts) === JSON.stringify(s.analysis), where + ': verdicts ' +
		JSON.stringify(got.verdicts) + ', JSON ' + JSON.stringify(s.analysis));
}

async function stepThrough(browser, name, args, shots) {
	const file = path.join(os.tmpdir(), 'tn-html-' + process.pid + '-' + name + '.html');
	tcpnarrate(args.concat(['--html', file, '--summary']));
	const lines = tcpnarrate(args.concat(['--json'])).split('\n').filter(Boolean).map(JSON.parse);
	const segs = lines.filter((o) => o.type === 'segment');
	const intro = lines.find((o) => o.type === 'step');
	const events = { console: [], requests: [], dialogs: [] };
	const page = await openPage(browser, file, events);
	let got = await shown(page);
	let k = 0;
	if (intro) {
		check(got.client === intro.states.client && got.server === intro.states.server,
			name + ' step 0: states ' + got.client + '/' + got.server);
		await page.screenshot({ path: path.join(outDir, shots[0]) });
		await page.keyboard.press('ArrowRight');
		got = await shown(page);
	}
	for (const s of segs) {
		compareSegment(name, got, s);
		if (s.analysis.length && !intro && k < 1) {
			await page.screenshot({ path: path.join(outDir, shots[1]), fullPage: true });
			k++;
		}
		if (s === segs[3] && intro)
			await page.screenshot({ path: path.join(outDir, shots[1]), fullPage: true });
		await page.keyboard.press('ArrowRight');
		got = await shown(page);
	}
	/* past the end the last stays selected; the Previous button and the slider move back */
	check(got.n === '#' + segs[segs.length - 1].n, name + ': stepping past the end left ' + got.n);
	await page.click('#prev');
	got = await shown(page);
	check(got.n === '#' + segs[segs.length - 2].n, name + ': Previous shows ' + got.n);
	await page.$eval('#slider', (e) => { e.value = '1'; e.dispatchEvent(new Event('input')); });
	got = await shown(page);
	check(got.n === '#' + segs[intro ? 0 : 1].n, name + ': slider at 1 shows ' + got.n);
	/* a click on a verdict's evidence selects that frame */
	const link = await page.$('#analysis a.frame');
	if (link) {
		const n = await link.getAttribute('data-frame');
		await link.click();
		got = await shown(page);
		check(got.n === '#' + n, name + ': a click on evidence #' + n + ' selected ' + got.n);
	}
	/* the receive window, when above the graph's view, is said, up to its highest edge */
	const [above, sender] = await page.$eval('#graph', (c) =>
		[c.dataset.windowAbove || null, c.dataset.sender]);
	let edge = -Infinity;
	for (const s of segs)
		if (s.from !== sender && s.tcp.ack !== null)
			edge = Math.max(edge, s.tcp.ack + s.tcp.window_scaled);
	check(above === null || above === String(edge), name + ': window above the view says ' +
		above + ', the highest edge the server announced is ' + edge);
	if (name === 'reference')
		check(above !== null, name + ': a 65535-byte window over 200 bytes is not marked above');
	check(events.console.length === 0, name + ': console: ' + events.console.join(' | '));
	check(events.requests.length === 0, name + ': requests left the page: ' + events.requests.join(' '));
	check(events.dialogs.length === 0, name + ': dialogs: ' + events.dialogs.join(' '));
	await page.close();
	fs.unlinkSync(file);
	console.log(name + ': ' + segs.length + ' segments stepped through');
}

async function hostile(browser) {
	const cap = path.join(os.tmpdir(), 'tn-html-' + process.pid + '-hostile.pcap');
	const file = cap.replace(/\.pcap$/, '.html');
	hostileCapture(cap);
	tcpnarrate(['-r', cap, '--html', file, '--summary']);
	const raw = fs.readFileSync(file, 'utf8');
	check(!raw.includes('<img'), 'hostile: the page file holds "<img"');
	check((raw.match(/<\/script>/g) || []).length === 2, 'hostile: the page has more than two </script>');
	check(!raw.includes('\x1b'), 'hostile: an ESC byte reached the page file');
	check(!raw.includes('\u2028'), 'hostile: a raw U+2028 reached the page file');
	const events = { console: [], requests: [], dialogs: [] };
	const page = await openPage(browser, file, events);
	for (let i = 0; i < 3; i++)
		await page.keyboard.press('ArrowRight');
	const r = await page.evaluate(() => ({
		imgs: document.querySelectorAll('img').length,
		preview: (document.querySelector('#preview') || {}).textContent,
		title: document.title,
	}));
	await page.screenshot({ path: path.join(outDir, 'html-hostile.png'), fullPage: true });
	check(r.imgs === 0, 'hostile: an <img> element was created');
	check(r.preview && r.preview.includes('</script><img src=x onerror=alert(1)>'),
		'hostile: the payload is not shown literally: ' + r.preview);
	check(r.preview && r.preview.includes('\\x1b[31mRED'), 'hostile: the ESC is not shown as \\x1b: ' +
		r.preview);
	await page.waitForTimeout(300);
	check(events.dialogs.length === 0, 'hostile: a dialog opened: ' + events.dialogs.join(' '));
	check(events.console.length === 0, 'hostile: console: ' + events.console.join(' | '));
	check(events.requests.length === 0, 'hostile: requests: ' + events.requests.join(' '));
	await page.close();
	fs.unlinkSync(file);
	fs.unlinkSync(cap);
	console.log('hostile: inert');
}

(async () => {
	fs.mkdirSync(outDir, { recursive: true });
	const browser = await pw.chromium.launch({ executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu'] });
	try {
		await stepThrough(browser, 'reference', ['--reference'], ['html-reference-step0.png',
			'html-reference.png']);
		await stepThrough(browser, 'loss', ['-r', path.join(root, 'captures/http11-nginx-loss-ipv4.pcap')],
			[null, 'html-loss.png']);
		await hostile(browser);
	} finally {
		await browser.close();
	}
	for (const f of failures.slice(0, 40))
		console.log('FAIL: ' + f);
	if (failures.length) {
		console.log(failures.length + ' failures');
		process.exit(1);
	}
	console.log('all checks passed; screenshots in ' + outDir);
})().catch((e) => {
	console.error('html_test: ' + (e && e.stack || e));
	process.exit(1);
});
