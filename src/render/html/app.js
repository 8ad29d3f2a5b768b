/*
 * app.js — the page tcpnarrate --html writes: it reads the JSON lines in
 * #tn-data and draws them. Everything from the wire reaches the page through
 * textContent or SVG/canvas text, never as markup. No request leaves the page.
 */
'use strict';
(function () {
const SVGNS = 'http://www.w3.org/2000/svg';
const ROW = 40;                 /* ladder row height, px */
const $ = (id) => document.getElementById(id);

/* ---- data ---- */
const D = { glossary: null, intro: null, segs: [], explain: new Map(), conns: new Map(),
	    summary: null, skipped: [], events: [] };
function load() {
	const text = $('tn-data').textContent;
	for (const line of text.split('\n')) {
		if (!line.trim())
			continue;
		const o = JSON.parse(line);
		switch (o.type) {
		case 'glossary': D.glossary = o; break;
		case 'step': D.intro = o; break;
		case 'segment': D.segs.push(o); conn(o.conn).segs.push(o); break;
		case 'explain': D.explain.set(o.n, o); break;
		case 'connection': conn(o.conn).report = o; break;
		case 'comparison': conn(o.conn).comparison = o; break;
		case 'summary': D.summary = o; break;
		case 'skipped': D.skipped.push(o); break;
		default: D.events.push(o);
		}
	}
}
function conn(id) {
	if (!D.conns.has(id))
		D.conns.set(id, { id: id, segs: [], report: null, comparison: null });
	return D.conns.get(id);
}

/* ---- small DOM helpers: text only ---- */
function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined && text !== null)
		e.textContent = String(text);
	return e;
}
function svg(tag, attrs, text) {
	const e = document.createElementNS(SVGNS, tag);
	for (const k in attrs)
		e.setAttribute(k, attrs[k]);
	if (text !== undefined)
		e.textContent = String(text);
	return e;
}
function clear(node) {
	while (node.firstChild)
		node.removeChild(node.firstChild);
}

/* ---- what is selected ---- */
const S = { conn: null, pos: 0, positions: [] };

function chooseConn(id) {
	S.conn = D.conns.get(id);
	S.positions = [];
	if (D.intro && S.conn && S.conn.id === (D.segs[0] && D.segs[0].conn))
		S.positions.push(null); /* step 0: before the first packet */
	for (const s of (S.conn ? S.conn.segs : []))
		S.positions.push(s);
	const slider = $('slider');
	slider.max = String(Math.max(0, S.positions.length - 1));
	$('conn').value = String(id);
	ladder.reset();
	graph.reset();
	drawAnalysis();
	drawCompare();
	select(0);
}

function select(pos) {
	if (!S.positions.length)
		return;
	pos = Math.max(0, Math.min(S.positions.length - 1, pos));
	S.pos = pos;
	$('slider').value = String(pos);
	const seg = S.positions[pos];
	const last = S.positions.length - 1;
	const intro = S.positions[0] === null;
	$('position').textContent = !seg ? 'step 0: before the first packet' :
		'segment ' + (intro ? pos : pos + 1) + ' of ' + (intro ? last : last + 1);
	$('prev').disabled = pos === 0;
	$('next').disabled = pos === last;
	drawDetail(seg);
	ladder.show(pos);
	graph.draw();
}

function selectFrame(n) {
	for (const c of D.conns.values()) {
		const i = c.segs.findIndex((s) => s.n === n);
		if (i < 0)
			continue;
		if (c !== S.conn)
			chooseConn(c.id);
		select(S.positions.indexOf(c.segs[i]));
		return;
	}
}

/* ---- labels ---- */
function secs(t) {
	const v = Number(t);
	return (v < 0 ? '' : '+') + v.toFixed(6);
}
function flagsText(s) {
	return s.tcp.flags.length ? s.tcp.flags.join(' ') : 'none';
}
function arrowLabel(s) {
	let t = '#' + s.n + ' ' + flagsText(s) + ' seq=' + s.tcp.seq;
	if (s.tcp.ack !== null)
		t += ' ack=' + s.tcp.ack;
	t += ' len=' + s.payload_len;
	return t;
}
function verdictWords(s) {
	return s.analysis.map((k) => k.replace(/_/g, ' ')).join(', ');
}
function severity(s) {
	if (!s.analysis.length)
		return '';
	if (s.analysis.some((k) => /lost|retrans|zero_window|reset|rst/.test(k)))
		return 'bad';
	return 'warn';
}

/* ---- ladder: SVG, only the rows in view ---- */
const ladder = (function () {
	const scroll = $('ladder-scroll'), space = $('ladder-space'), pic = $('ladder');
	/*
	 * The scroll position and sizes are remembered, not read back: reading
	 * them after the detail pane changed would force a layout at every step.
	 */
	let width = 600, top = 0, viewH = 360, measured = false;
	function geometry() {
		if (!measured) {
			width = Math.max(420, scroll.clientWidth - 4);
			measured = true;
		}
		return { cx: Math.round(width * 0.3), sx: Math.round(width * 0.8) };
	}
	function head() {
		const h = $('ladder-head');
		clear(h);
		const r = S.conn && S.conn.report;
		const s0 = S.conn && S.conn.segs[0];
		let client = '', server = '';
		if (r) {
			client = r.client.addr + ':' + r.client.port;
			server = r.server.addr + ':' + r.server.port;
		} else if (s0) {
			const fromClient = s0.from === 'client';
			client = fromClient ? s0.src + ':' + s0.sport : s0.dst + ':' + s0.dport;
			server = fromClient ? s0.dst + ':' + s0.dport : s0.src + ':' + s0.sport;
		}
		h.appendChild(el('span', 'who client', 'client ' + client));
		h.appendChild(el('span', 'who server', 'server ' + server));
	}
	function row(i, g) {
		const s = S.positions[i];
		const y = i * ROW;
		const grp = svg('g', { 'class': 'row' + (i === S.pos ? ' selected' : ''), 'data-pos': i });
		grp.appendChild(svg('rect', { x: 0, y: y, width: width, height: ROW, 'class': 'hit' }));
		if (!s) {
			grp.appendChild(svg('text', { x: g.cx - 8, y: y + 22, 'class': 'state', 'text-anchor': 'end' },
				D.intro.states.client));
			grp.appendChild(svg('text', { x: g.sx + 8, y: y + 22, 'class': 'state' }, D.intro.states.server));
			grp.appendChild(svg('text', { x: (g.cx + g.sx) / 2, y: y + 22, 'class': 'label',
				'text-anchor': 'middle' }, 'step 0: before the first packet'));
			return grp;
		}
		const toServer = s.from === 'client';
		const x1 = toServer ? g.cx : g.sx, x2 = toServer ? g.sx : g.cx;
		const sev = severity(s);
		grp.appendChild(svg('line', { x1: x1, y1: y + 17, x2: x2, y2: y + ROW - 5,
			'class': 'arrow ' + sev, 'marker-end': 'url(#head' + (sev ? '-' + sev : '') + ')' }));
		let label = arrowLabel(s);
		if (s.analysis.length)
			label += '  [' + verdictWords(s) + ']';
		grp.appendChild(svg('text', { x: (g.cx + g.sx) / 2, y: y + 13, 'class': 'label ' + sev,
			'text-anchor': 'middle' }, label));
		grp.appendChild(svg('text', { x: 4, y: y + 22, 'class': 'time' }, secs(s.rel_time)));
		const st = s.states;
		const prev = i > 0 && S.positions[i - 1] ? S.positions[i - 1].states : null;
		if (!prev || prev.client.after !== st.client.after || st.client.before !== st.client.after)
			grp.appendChild(svg('text', { x: g.cx - 8, y: y + 30, 'class': 'state', 'text-anchor': 'end' },
				st.client.after));
		if (!prev || prev.server.after !== st.server.after || st.server.before !== st.server.after)
			grp.appendChild(svg('text', { x: g.sx + 8, y: y + 30, 'class': 'state' }, st.server.after));
		return grp;
	}
	function defs() {
		const d = svg('defs', {});
		for (const k of ['', '-warn', '-bad']) {
			const m = svg('marker', { id: 'head' + k, markerWidth: 8, markerHeight: 8, refX: 7, refY: 4,
				orient: 'auto', markerUnits: 'userSpaceOnUse' });
			m.appendChild(svg('path', { d: 'M0,0 L8,4 L0,8 z', 'class': 'head' + k }));
			d.appendChild(m);
		}
		return d;
	}
	function render() {
		const g = geometry();
		const n = S.positions.length;
		const h = Math.round(Math.min(n * ROW + 8, Math.max(360, window.innerHeight * 0.72)));
		if (h !== viewH || space.style.height !== (n * ROW) + 'px') {
			viewH = h;
			space.style.height = (n * ROW) + 'px';
			scroll.style.height = h + 'px';
		}
		const first = Math.max(0, Math.floor(top / ROW) - 5);
		const last = Math.min(n, Math.ceil((top + viewH) / ROW) + 5);
		clear(pic);
		pic.setAttribute('width', width);
		pic.setAttribute('height', n * ROW);
		pic.appendChild(defs());
		const y0 = first * ROW, y1 = last * ROW;
		pic.appendChild(svg('line', { x1: g.cx, y1: y0, x2: g.cx, y2: y1, 'class': 'column' }));
		pic.appendChild(svg('line', { x1: g.sx, y1: y0, x2: g.sx, y2: y1, 'class': 'column' }));
		for (let i = first; i < last; i++)
			pic.appendChild(row(i, g));
	}
	let pending = false;
	scroll.addEventListener('scroll', () => {
		top = scroll.scrollTop;
		if (pending)
			return;
		pending = true;
		requestAnimationFrame(() => { pending = false; render(); });
	});
	pic.addEventListener('click', (ev) => {
		const grp = ev.target.closest('g.row');
		if (grp)
			select(Number(grp.getAttribute('data-pos')));
	});
	return {
		reset() { head(); top = 0; scroll.scrollTop = 0; },
		show(pos) {
			const y = pos * ROW;
			if (y < top || y + ROW > top + viewH) {
				top = Math.max(0, Math.round(y - viewH / 2));
				scroll.scrollTop = top;
			}
			render();
		},
		render() { measured = false; render(); },
	};
})();

/* ---- the selected segment ---- */
function drawDetail(s) {
	const title = $('step-title');
	clear(title);
	clear($('ideas'));
	clear($('verdicts'));
	clear($('payload'));
	if (!s) {
		title.appendChild(el('h2', null, 'Step 0 — before the first packet'));
		$('note').textContent = 'The client is ' + D.intro.states.client + ', the server ' +
			D.intro.states.server + '.';
		drawIdeas(D.intro.ideas);
		drawMachines(null);
		clear($('headers'));
		return;
	}
	const h = el('h2', null, (s.step ? 'Step ' + s.step + ' — ' : '') + 'Frame ');
	h.appendChild(el('span', null, '#' + s.n)).id = 'sel-n';
	h.appendChild(document.createTextNode(' · ' + s.from + ' → ' + (s.from === 'client' ? 'server' : 'client') +
		' · ' + secs(s.rel_time) + ' s'));
	title.appendChild(h);
	$('note').textContent = s.note;
	drawVerdicts(s);
	if (s.ideas)
		drawIdeas(s.ideas);
	drawMachines(s);
	drawHeaders(s);
	if (s.payload_len) {
		const p = $('payload');
		p.appendChild(el('h3', null, 'Payload: ' + s.payload_len + ' bytes' +
			(s.payload_captured < s.payload_len ? ' (' + s.payload_captured + ' captured)' : '')));
		if (s.preview !== undefined)
			p.appendChild(el('pre', 'preview', s.preview)).id = 'preview';
	}
}

function drawIdeas(ideas) {
	const box = $('ideas');
	for (const i of ideas || []) {
		const d = el('div', 'idea');
		d.appendChild(el('h3', null, i.title));
		d.appendChild(el('p', null, i.text));
		box.appendChild(d);
	}
}

function frameLink(n) {
	const a = el('a', 'frame', '#' + n);
	a.href = '#';
	a.setAttribute('data-frame', n);
	return a;
}
/* Text with "#123" made into links that select frame 123. */
function linked(text) {
	const span = el('span');
	const re = /#(\d+)/g;
	let last = 0, m;
	while ((m = re.exec(text)) !== null) {
		span.appendChild(document.createTextNode(text.slice(last, m.index)));
		span.appendChild(frameLink(Number(m[1])));
		last = re.lastIndex;
	}
	span.appendChild(document.createTextNode(text.slice(last)));
	return span;
}

function drawVerdicts(s) {
	const box = $('verdicts');
	if (!s.analysis.length)
		return;
	const ul = el('ul', 'verdicts');
	for (const k of s.analysis) {
		const li = el('li', severity(s));
		li.setAttribute('data-verdict', k);
		li.appendChild(el('b', null, k.replace(/_/g, ' ')));
		const ev = s.evidence[k];
		if (ev && ev.text) {
			li.appendChild(document.createTextNode(': '));
			li.appendChild(linked(ev.text));
		}
		if (ev && ev.frame) {
			li.appendChild(document.createTextNode(' (evidence: '));
			li.appendChild(frameLink(ev.frame));
			li.appendChild(document.createTextNode(')'));
		}
		ul.appendChild(li);
	}
	box.appendChild(ul);
}

/* ---- state machines ---- */
const PLACES = {
	'CLOSED': [1, 0], 'LISTEN': [1, 1], 'SYN-RECEIVED': [0, 2], 'SYN-SENT': [2, 2],
	'ESTABLISHED': [1, 3], 'FIN-WAIT-1': [0, 4], 'CLOSE-WAIT': [2, 4], 'FIN-WAIT-2': [0, 5],
	'CLOSING': [1, 5], 'LAST-ACK': [2, 5], 'TIME-WAIT': [1, 6],
};
const EDGES = [
	['CLOSED', 'LISTEN'], ['CLOSED', 'SYN-SENT'], ['LISTEN', 'SYN-RECEIVED'], ['LISTEN', 'SYN-SENT'],
	['SYN-SENT', 'SYN-RECEIVED'], ['SYN-SENT', 'ESTABLISHED'], ['SYN-RECEIVED', 'ESTABLISHED'],
	['SYN-RECEIVED', 'FIN-WAIT-1'], ['ESTABLISHED', 'FIN-WAIT-1'], ['ESTABLISHED', 'CLOSE-WAIT'],
	['FIN-WAIT-1', 'FIN-WAIT-2'], ['FIN-WAIT-1', 'CLOSING'], ['FIN-WAIT-1', 'TIME-WAIT'],
	['FIN-WAIT-2', 'TIME-WAIT'], ['CLOSING', 'TIME-WAIT'], ['CLOSE-WAIT', 'LAST-ACK'],
	['LAST-ACK', 'CLOSED'], ['TIME-WAIT', 'CLOSED'],
];
function place(name) {
	const p = PLACES[name] || [2, 6];
	return { x: 12 + p[0] * 92 + 42, y: 10 + p[1] * 34 + 11 };
}
function machine(side, st) {
	const box = el('div', 'machine');
	box.setAttribute('data-side', side);
	const h = el('h3', null, side + ': ');
	const now = st ? st.after : D.intro.states[side];
	h.appendChild(el('span', 'state-now', now)).id = 'state-' + side;
	if (st && st.before !== st.after)
		h.appendChild(document.createTextNode(' (was ' + st.before + ')'));
	box.appendChild(h);
	const pic = svg('svg', { width: 300, height: 250, viewBox: '0 0 300 250', 'class': 'fsm' });
	const m = svg('marker', { id: 'fsm-' + side, markerWidth: 7, markerHeight: 7, refX: 6, refY: 3.5,
		orient: 'auto', markerUnits: 'userSpaceOnUse' });
	m.appendChild(svg('path', { d: 'M0,0 L7,3.5 L0,7 z' }));
	const defs = svg('defs', {});
	defs.appendChild(m);
	pic.appendChild(defs);
	const moved = st && st.before !== st.after;
	let drawn = false;
	for (const [a, b] of EDGES) {
		const taken = moved && a === st.before && b === st.after;
		drawn = drawn || taken;
		pic.appendChild(edge(a, b, taken, side));
	}
	if (moved && !drawn)
		pic.appendChild(edge(st.before, st.after, true, side));
	for (const name of Object.keys(PLACES).concat(PLACES[now] ? [] : [now])) {
		const p = place(name);
		const lit = name === now;
		const g = svg('g', { 'class': 'fsm-state' + (lit ? ' lit' : '') });
		g.appendChild(svg('rect', { x: p.x - 42, y: p.y - 11, width: 84, height: 22, rx: 6 }));
		g.appendChild(svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, name));
		pic.appendChild(g);
	}
	box.appendChild(pic);
	if (st && st.reason)
		box.appendChild(el('p', 'why', st.reason));
	return box;
}
function edge(a, b, taken, side) {
	const p = place(a), q = place(b);
	const dx = q.x - p.x, dy = q.y - p.y, len = Math.hypot(dx, dy) || 1;
	const ox = dx / len, oy = dy / len;
	/* from the edge of one box to the edge of the other */
	const k = Math.min(Math.abs(42 / (ox || 1e-9)), Math.abs(11 / (oy || 1e-9)));
	return svg('line', { x1: p.x + ox * k, y1: p.y + oy * k, x2: q.x - ox * (k + 2), y2: q.y - oy * (k + 2),
		'class': 'fsm-edge' + (taken ? ' taken' : ''), 'marker-end': 'url(#fsm-' + side + ')' });
}
function drawMachines(s) {
	const box = $('machines');
	clear(box);
	box.appendChild(machine('client', s ? s.states.client : null));
	box.appendChild(machine('server', s ? s.states.server : null));
}

/* ---- headers: the RFC drawing, 32 bits a row, and every field's meaning ---- */
function meaning(key) {
	const f = D.glossary && D.glossary.fields[key];
	return f ? f.meaning : '';
}
function label(key) {
	const f = D.glossary && D.glossary.fields[key];
	return f ? f.label : key;
}
function ipFields(ip) {
	if (ip.version === 6)
		return [
			['ip.version', 4, ip.version], ['ip6.tclass', 8, ip.tclass], ['ip6.flow', 20, ip.flow_label],
			['ip6.plen', 16, ip.payload_len], ['ip6.next', 8, ip.next_header], ['ip6.hops', 8, ip.hop_limit],
			['ip.src', 128, ip.src], ['ip.dst', 128, ip.dst],
		];
	const fl = [ip.rf ? 'RF' : '', ip.df ? 'DF' : '', ip.mf ? 'MF' : ''].filter(Boolean).join(' ') || 'none';
	return [
		['ip.version', 4, ip.version], ['ip.hdr_len', 4, ip.hdr_len + ' B'], ['ip.dscp', 6, ip.dscp],
		['ip.ecn', 2, ip.ecn], ['ip.total_len', 16, ip.total_len], ['ip.id', 16, ip.id],
		['ip.flags', 3, fl], ['ip.frag_off', 13, ip.frag_off], ['ip.ttl', 8, ip.ttl],
		['ip.proto', 8, ip.proto], ['ip.checksum', 16, hex(ip.checksum, 4) + ' ' + ip.checksum_status],
		['ip.src', 32, ip.src], ['ip.dst', 32, ip.dst],
	];
}
function tcpFields(s) {
	const t = s.tcp;
	const seq = t.seq + ' (raw ' + t.seq_raw + ')';
	const ack = t.ack === null ? '— (raw ' + t.ack_raw + ')' : t.ack + ' (raw ' + t.ack_raw + ')';
	const win = t.window + (t.window_shift ? ' × 2^' + t.window_shift + ' = ' + t.window_scaled : '');
	const f = [
		['tcp.sport', 16, s.sport], ['tcp.dport', 16, s.dport], ['tcp.seq', 32, seq], ['tcp.ack', 32, ack],
		['tcp.hdr_len', 4, t.hdr_len + ' B'], ['tcp.reserved', 3, t.reserved],
		['tcp.flags', 9, flagsText(s)], ['tcp.window', 16, win],
		['tcp.checksum', 16, hex(t.checksum, 4) + ' ' + t.checksum_status], ['tcp.urgent', 16, t.urgent],
	];
	if (t.hdr_len > 20)
		f.push(['tcp.options', (t.hdr_len - 20) * 8, t.options.map((o) => o.name).join(', ') || '—']);
	return f;
}
function hex(v, w) {
	return '0x' + Number(v).toString(16).padStart(w, '0');
}
function fieldMeaning(key, s) {
	const ports = D.glossary && D.glossary.ports;
	const to = s.from === 'client' ? 'server' : 'client';
	if (key === 'tcp.sport' && ports)
		return ports['sport_' + s.from];
	if (key === 'tcp.dport' && ports)
		return ports['dport_' + to];
	if (key === 'ip.src' || key === 'ip.dst')
		return meaning('ip.addrs');
	return meaning(key);
}
function drawHeaderGrid(title, fields, s) {
	const box = el('div', 'hdr');
	box.appendChild(el('h3', null, title));
	const grid = el('div', 'grid');
	let bit = 0;
	for (const [key, bits, value] of fields) {
		let left = bits;
		while (left > 0) {   /* a field longer than the rest of the row wraps */
			const take = Math.min(left, 32 - (bit % 32));
			const cell = el('div', 'cell');
			cell.style.gridColumn = 'span ' + take;
			cell.setAttribute('data-field', key);
			cell.title = label(key) + ': ' + fieldMeaning(key, s);
			if (left === bits) {
				cell.appendChild(el('span', 'name', key === 'ip.src' ? 'source address' :
					key === 'ip.dst' ? 'destination address' : label(key)));
				cell.appendChild(el('span', 'value', value));
			} else {
				cell.classList.add('more');
				cell.appendChild(el('span', 'name', label(key) + ' (continued)'));
			}
			grid.appendChild(cell);
			bit += take;
			left -= take;
		}
	}
	box.appendChild(grid);
	const table = el('table', 'fields');
	for (const [key, , value] of fields) {
		const tr = el('tr');
		tr.setAttribute('data-field', key);
		tr.appendChild(el('th', null, key === 'ip.src' ? 'source address' : key === 'ip.dst' ?
			'destination address' : label(key)));
		tr.appendChild(el('td', 'value', value));
		tr.appendChild(el('td', 'meaning', fieldMeaning(key, s)));
		table.appendChild(tr);
	}
	box.appendChild(table);
	return box;
}
function drawHeaders(s) {
	const box = $('headers');
	clear(box);
	box.appendChild(drawHeaderGrid('IPv' + s.ip.version + ' header', ipFields(s.ip), s));
	box.appendChild(drawHeaderGrid('TCP header', tcpFields(s), s));
	const ex = D.explain.get(s.n);
	if (ex && Object.keys(ex.flags).length) {
		const ul = el('ul', 'flag-meanings');
		for (const k of Object.keys(ex.flags)) {
			const li = el('li');
			li.appendChild(el('b', null, k));
			li.appendChild(document.createTextNode(' — ' + ex.flags[k]));
			ul.appendChild(li);
		}
		box.appendChild(ul);
	}
	if (ex && s.tcp.options.length) {
		const ul = el('ul', 'option-meanings');
		s.tcp.options.forEach((o, i) => {
			const li = el('li');
			li.appendChild(el('b', null, o.name));
			li.appendChild(document.createTextNode(' — ' + (ex.options[i] || '')));
			ul.appendChild(li);
		});
		box.appendChild(ul);
	}
}

/* ---- analysis, comparison, glossary ---- */
function drawAnalysis() {
	const box = $('analysis');
	clear(box);
	const c = S.conn;
	if (!c)
		return;
	const r = c.report;
	if (r) {
		const p = el('p', 'report');
		p.textContent = 'Connection ' + c.id + ': ' + r.client.addr + ':' + r.client.port + ' → ' +
			r.server.addr + ':' + r.server.port + ', ' + r.report + (r.ended_by ? ' (ended by ' +
			r.ended_by + ')' : '') + '; ' + (r.segments.client + r.segments.server) + ' segments, ' +
			'retransmissions ' + (r.retransmissions.client + r.retransmissions.server) + ', lost ' +
			(r.lost_segments.client + r.lost_segments.server) + ', duplicate ACKs ' +
			(r.duplicate_acks.client + r.duplicate_acks.server) + '.';
		box.appendChild(p);
	}
	const ul = el('ul', 'verdict-list');
	let count = 0;
	for (const s of c.segs) {
		if (!s.analysis.length)
			continue;
		if (++count > 2000) {
			ul.appendChild(el('li', null, 'and more: step through to see them'));
			break;
		}
		for (const k of s.analysis) {
			const li = el('li', severity(s));
			li.appendChild(frameLink(s.n));
			li.appendChild(document.createTextNode(' '));
			li.appendChild(el('b', null, k.replace(/_/g, ' ')));
			const ev = s.evidence[k];
			if (ev && ev.text) {
				li.appendChild(document.createTextNode(': '));
				li.appendChild(linked(ev.text));
			}
			ul.appendChild(li);
		}
	}
	if (!count)
		ul.appendChild(el('li', null, 'No verdict: nothing was lost, resent or stalled.'));
	box.appendChild(ul);
}

function drawCompare() {
	const c = S.conn && S.conn.comparison;
	$('compare-pane').hidden = !c;
	const box = $('compare');
	clear(box);
	if (!c)
		return;
	box.appendChild(el('p', 'verdict', c.matches ? 'This connection has the textbook shape.' :
		'Against the textbook: ' + c.verdict + '.'));
	const ul = el('ul');
	for (const d of c.differences) {
		const li = el('li');
		li.appendChild(el('b', null, 'step ' + d.step + ' '));
		if (d.n) {
			li.appendChild(frameLink(d.n));
			li.appendChild(document.createTextNode(' '));
		}
		li.appendChild(linked(d.explanation));
		ul.appendChild(li);
	}
	box.appendChild(ul);
	const t = el('table', 'steps');
	for (const st of c.steps) {
		const tr = el('tr');
		tr.appendChild(el('td', null, st.step));
		tr.appendChild(el('td', null, st.reference));
		const td = el('td');
		if (st.n)
			td.appendChild(frameLink(st.n));
		else
			td.textContent = 'not seen';
		tr.appendChild(td);
		t.appendChild(tr);
	}
	box.appendChild(t);
}

const FLAG_WORDS = [
	['SYN', 'synchronise: opens a connection and carries the sender\'s initial sequence number'],
	['ACK', 'the acknowledgement number is valid: it names the next byte expected'],
	['PSH', 'push: hand the data to the application without waiting for more'],
	['FIN', 'finish: the sender has no more data; it closes its direction'],
	['RST', 'reset: abort the connection at once'],
	['URG', 'urgent: the urgent pointer marks where urgent data ends'],
	['ECE', 'ECN echo: in a SYN, offers ECN; later, reports a congestion mark'],
	['CWR', 'congestion window reduced: the sender has slowed down after an ECN echo'],
	['AE', 'accurate ECN: with CWR and ECE, a counter of congestion marks'],
];
function drawGlossary() {
	const box = $('glossary');
	const dl = el('dl');
	for (const [k, v] of FLAG_WORDS) {
		dl.appendChild(el('dt', null, k));
		dl.appendChild(el('dd', null, v));
	}
	box.appendChild(dl);
	box.appendChild(el('p', 'hint', meaning('tcp.flags')));
}

/* ---- time–sequence graph (canvas) ---- */
const graph = (function () {
	/*
	 * What does not change as the selection moves (axes, bars, lines) is
	 * painted once into an off-screen canvas; each step copies it and draws
	 * the ring around the selected segment.
	 */
	const cv = $('graph');
	const out = cv.getContext('2d');
	const off = document.createElement('canvas');
	off.width = cv.width;
	off.height = cv.height;
	const ctx = off.getContext('2d');
	let dir = 'client', view = null, full = null, marks = [], drag = null, dirty = true, queued = false;
	const M = { l: 70, r: 16, t: 12, b: 30 };
	function sender() {
		return dir;
	}
	function bounds() {
		let t0 = Infinity, t1 = -Infinity, s0 = Infinity, s1 = -Infinity, w1 = -Infinity;
		for (const s of S.conn ? S.conn.segs : []) {
			const t = Number(s.rel_time);
			t0 = Math.min(t0, t);
			t1 = Math.max(t1, t);
			if (s.from === sender()) {
				s0 = Math.min(s0, s.tcp.seq);
				s1 = Math.max(s1, s.tcp.seq + s.payload_len);
			} else if (s.tcp.ack !== null) {
				s0 = Math.min(s0, s.tcp.ack);
				s1 = Math.max(s1, s.tcp.ack);
				w1 = Math.max(w1, s.tcp.ack + s.tcp.window_scaled);
			}
		}
		/* The window line is in view unless it would squash the data into a sliver. */
		if (w1 <= s0 + (s1 - s0) * 2)
			s1 = Math.max(s1, w1);
		if (!isFinite(t0))
			return { t0: 0, t1: 1, s0: 0, s1: 1 };
		if (t1 === t0)
			t1 = t0 + 1e-6;
		if (s1 === s0)
			s1 = s0 + 1;
		return { t0: t0, t1: t1 + (t1 - t0) * 0.02, s0: s0, s1: s1 + (s1 - s0) * 0.02 };
	}
	function X(t) {
		return M.l + (t - view.t0) / (view.t1 - view.t0) * (cv.width - M.l - M.r);
	}
	function Y(q) {
		return cv.height - M.b - (q - view.s0) / (view.s1 - view.s0) * (cv.height - M.t - M.b);
	}
	function axes() {
		ctx.strokeStyle = '#889';
		ctx.fillStyle = '#445';
		ctx.font = '11px sans-serif';
		ctx.strokeRect(M.l, M.t, cv.width - M.l - M.r, cv.height - M.t - M.b);
		for (let i = 0; i <= 5; i++) {
			const t = view.t0 + (view.t1 - view.t0) * i / 5;
			const q = view.s0 + (view.s1 - view.s0) * i / 5;
			ctx.textAlign = i === 0 ? 'left' : i === 5 ? 'right' : 'center';
			ctx.fillText(t.toFixed(6) + ' s', X(t), cv.height - 10);
			ctx.textAlign = 'left';
			ctx.fillText(String(Math.round(q)), 4, Y(q) + 4);
		}
	}
	function line(pts, color) {
		if (!pts.length)
			return;
		ctx.strokeStyle = color;
		ctx.beginPath();
		ctx.moveTo(X(pts[0][0]), Y(pts[0][1]));
		for (let i = 1; i < pts.length; i++) {
			ctx.lineTo(X(pts[i][0]), Y(pts[i - 1][1]));
			ctx.lineTo(X(pts[i][0]), Y(pts[i][1]));
		}
		ctx.lineTo(X(view.t1), Y(pts[pts.length - 1][1]));
		ctx.stroke();
	}
	function paint() {
		ctx.clearRect(0, 0, cv.width, cv.height);
		axes();
		ctx.save();
		ctx.beginPath();
		ctx.rect(M.l, M.t, cv.width - M.l - M.r, cv.height - M.t - M.b);
		ctx.clip();
		const acks = [], wins = [];
		marks = [];
		/* one path per colour: 10,000 bars are one stroke each, not 10,000 */
		const bars = new Path2D(), resent = new Path2D(), sacks = new Path2D(), lost = new Path2D();
		const lostAt = [];
		for (const s of S.conn ? S.conn.segs : []) {
			const t = Number(s.rel_time);
			const x = X(t);
			if (s.from !== sender()) {
				if (s.tcp.ack !== null) {
					acks.push([t, s.tcp.ack]);
					wins.push([t, s.tcp.ack + s.tcp.window_scaled]);
				}
				for (const o of s.tcp.options)
					if (o.name === 'sack' && o.blocks)
						for (const b of o.blocks)
							if (b.length === 2) {
								sacks.moveTo(x, Y(b[0]));
								sacks.lineTo(x, Y(b[1]));
							}
				marks.push({ x: x, y: Y(s.tcp.ack === null ? view.s0 : s.tcp.ack), s: s });
				continue;
			}
			const y0 = Y(s.tcp.seq), y1 = Y(s.tcp.seq + Math.max(1, s.payload_len));
			const path = s.retransmission ? resent : bars;
			path.moveTo(x, y0);
			path.lineTo(x, Math.min(y1, y0 - 2));
			const e = s.evidence.lost_segment;
			if (e) {
				lost.moveTo(x - 6, Y(e.first));
				lost.lineTo(x - 6, Y(e.last + 1));
				lostAt.push([x, Y(e.first)]);
			}
			marks.push({ x: x, y: y0, s: s });
		}
		const stroke = (path, color, width, dash) => {
			ctx.strokeStyle = color;
			ctx.lineWidth = width;
			ctx.setLineDash(dash || []);
			ctx.stroke(path);
		};
		stroke(sacks, '#a0a', 3);
		stroke(bars, '#236', 2);
		stroke(resent, '#d22', 3);
		stroke(lost, '#e80', 1.5, [3, 3]);
		ctx.setLineDash([]);
		ctx.lineWidth = 1;
		ctx.fillStyle = '#e80';
		for (const [x, y] of lostAt.slice(0, 200))
			ctx.fillText('lost', x - 30, y - 2);
		line(acks, '#0a0');
		line(wins, '#cc0');
		windowAbove(wins);
		ctx.restore();
	}
	/*
	 * The receive window is left above the view when showing it would squash
	 * the data into a sliver: say so at the top, with how far it reaches, and
	 * keep the number (and whose data is drawn) on the canvas for the tests.
	 */
	function windowAbove(wins) {
		cv.dataset.sender = sender();
		let top = -Infinity;
		for (const w of wins)
			top = Math.max(top, w[1]);
		if (top <= view.s1) {
			delete cv.dataset.windowAbove;
			return;
		}
		cv.dataset.windowAbove = String(top);
		ctx.fillStyle = '#990';
		ctx.textAlign = 'right';
		ctx.fillText('\u2191 receive window above the view, up to ' + top, cv.width - M.r - 6, M.t + 14);
		ctx.textAlign = 'left';
	}
	function drawNow() {
		queued = false;
		if (!view)
			reset();
		if (dirty) {
			paint();
			dirty = false;
		}
		out.clearRect(0, 0, cv.width, cv.height);
		out.drawImage(off, 0, 0);
		const sel = S.positions[S.pos];
		const m = sel && marks.find((k) => k.s === sel);
		if (m) {
			out.strokeStyle = '#f0f';
			out.lineWidth = 2;
			out.beginPath();
			out.arc(m.x, m.y, 7, 0, 2 * Math.PI);
			out.stroke();
		}
		if (drag) {
			out.strokeStyle = '#58f';
			out.lineWidth = 1;
			out.strokeRect(drag.x0, drag.y0, drag.x1 - drag.x0, drag.y1 - drag.y0);
		}
	}
	/* At most once a frame, however fast the arrow key repeats. */
	function draw() {
		if (!queued) {
			queued = true;
			requestAnimationFrame(drawNow);
		}
	}
	function zoom(v) {
		view = v;
		dirty = true;
		draw();
	}
	function reset() {
		full = bounds();
		view = Object.assign({}, full);
		dirty = true;
	}
	function controls() {
		const box = $('graph-controls');
		clear(box);
		for (const d of ['client', 'server']) {
			const b = el('button', d === dir ? 'on' : '', 'data sent by the ' + d);
			b.type = 'button';
			b.addEventListener('click', () => { dir = d; reset(); controls(); draw(); });
			box.appendChild(b);
		}
		const lg = $('graph-legend');
		clear(lg);
		for (const [c, t] of [['#236', 'data segment (bar: its sequence range)'], ['#d22', 'retransmission'],
			['#e80', 'bytes never seen (lost)'], ['#0a0', 'acknowledgement'], ['#cc0', 'receive window'],
			['#a0a', 'SACK block'], ['#f0f', 'selected']]) {
			const s = el('span', 'key', t);
			s.style.borderColor = c;
			lg.appendChild(s);
		}
	}
	function pos(ev) {
		const r = cv.getBoundingClientRect();
		return { x: (ev.clientX - r.left) * cv.width / r.width, y: (ev.clientY - r.top) * cv.height / r.height };
	}
	cv.addEventListener('mousedown', (ev) => {
		const p = pos(ev);
		drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
	});
	cv.addEventListener('mousemove', (ev) => {
		if (!drag)
			return;
		const p = pos(ev);
		drag.x1 = p.x;
		drag.y1 = p.y;
		draw();
	});
	cv.addEventListener('mouseup', (ev) => {
		const d = drag;
		drag = null;
		if (!d)
			return;
		if (Math.abs(d.x1 - d.x0) > 8 && Math.abs(d.y1 - d.y0) > 8) {
			const inv = (x, y) => ({
				t: view.t0 + (x - M.l) / (cv.width - M.l - M.r) * (view.t1 - view.t0),
				q: view.s0 + (cv.height - M.b - y) / (cv.height - M.t - M.b) * (view.s1 - view.s0),
			});
			const a = inv(Math.min(d.x0, d.x1), Math.max(d.y0, d.y1));
			const b = inv(Math.max(d.x0, d.x1), Math.min(d.y0, d.y1));
			zoom({ t0: a.t, t1: b.t, s0: a.q, s1: b.q });
			return;
		}
		let best = null, bd = 100;
		for (const m of marks) {
			const dd = (m.x - d.x0) * (m.x - d.x0) + (m.y - d.y0) * (m.y - d.y0);
			if (dd < bd) {
				bd = dd;
				best = m;
			}
		}
		if (best)
			select(S.positions.indexOf(best.s));
		else
			draw();
	});
	cv.addEventListener('dblclick', () => zoom(Object.assign({}, full)));
	return {
		reset() {
			const r = S.conn && S.conn.report;
			dir = r && r.payload_bytes.server > r.payload_bytes.client ? 'server' : 'client';
			if (!r && S.conn) {
				let c = 0, s = 0;
				for (const x of S.conn.segs)
					if (x.from === 'client') c += x.payload_len; else s += x.payload_len;
				dir = s > c ? 'server' : 'client';
			}
			reset();
			controls();
		},
		draw: draw,
	};
})();

/* ---- start ---- */
function start() {
	load();
	const g = D.glossary || {};
	$('title').textContent = g.reference ? 'tcpnarrate — the textbook connection' : 'tcpnarrate';
	const sum = D.summary;
	let src = (g.source || '') + (sum ? ': ' + sum.segments + ' segments, ' + sum.connections +
		' connection' + (sum.connections === 1 ? '' : 's') : '');
	if (sum && sum.error)
		src += ' — stopped early: ' + sum.error;
	$('source').textContent = src;
	document.title = 'tcpnarrate — ' + (g.source || '');
	const picker = $('conn');
	for (const c of D.conns.values()) {
		const s = c.segs[0];
		const o = el('option', null, 'Connection ' + c.id + (s ? ': ' + s.src + ':' + s.sport + ' ↔ ' +
			s.dst + ':' + s.dport : '') + ' (' + c.segs.length + ' segments)');
		o.value = String(c.id);
		picker.appendChild(o);
	}
	$('conn-picker').hidden = D.conns.size < 2;
	picker.addEventListener('change', () => chooseConn(Number(picker.value)));
	$('prev').addEventListener('click', () => select(S.pos - 1));
	$('next').addEventListener('click', () => select(S.pos + 1));
	$('slider').addEventListener('input', () => select(Number($('slider').value)));
	document.addEventListener('keydown', (ev) => {
		if (ev.target && (ev.target.tagName === 'SELECT' || ev.target.tagName === 'INPUT'))
			return; /* the slider and the picker take their own arrow keys */
		if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') {
			select(S.pos + 1);
			ev.preventDefault();
		} else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') {
			select(S.pos - 1);
			ev.preventDefault();
		}
	});
	document.addEventListener('click', (ev) => {
		const a = ev.target.closest && ev.target.closest('a.frame');
		if (!a)
			return;
		ev.preventDefault();
		selectFrame(Number(a.getAttribute('data-frame')));
	});
	window.addEventListener('resize', () => ladder.render());
	drawGlossary();
	if (D.conns.size)
		chooseConn(D.conns.keys().next().value);
	else
		$('note').textContent = 'No TCP segment in this capture.';
	document.body.setAttribute('data-ready', '1');
}
start();
})();
