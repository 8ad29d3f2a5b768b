#!/usr/bin/env node
/*
 * html_bench.js — how a --html page behaves in headless Chromium: time to
 * first paint, time until the page is ready (its data parsed and drawn), and
 * the time a step takes (script alone, and to the next frame through the
 * arrow key). Measured, not asserted; bench.py prints it.
 *
 * Usage: node html_bench.js PAGE [STEPS]; exits 77 without Chromium or
 * playwright-core.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const CHROMIUM = process.env.TN_CHROMIUM || '/usr/bin/chromium';
function load() {
	const paths = [path.join(__dirname, '..', 'browser', 'node_modules')];
	try {
		paths.push(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim());
	} catch (e) { /* no npm */ }
	try {
		return require(require.resolve('playwright-core', { paths: paths }));
	} catch (e) {
		return null;
	}
}
const pw = fs.existsSync(CHROMIUM) ? load() : null;
if (!pw) {
	console.log('skipped: no Chromium or playwright-core');
	process.exit(77);
}
const [page, stepsArg] = process.argv.slice(2);
const steps = Number(stepsArg || 100);
(async () => {
	const b = await pw.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	const p = await b.newPage({ viewport: { width: 1400, height: 1000 } });
	const t0 = Date.now();
	await p.goto('file://' + path.resolve(page));
	await p.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
	const ready = Date.now() - t0;
	const fcp = await p.evaluate(() =>
		(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0);
	const script = await p.evaluate((n) => {
		const t = performance.now();
		for (let i = 0; i < n; i++)
			document.getElementById('next').click();
		return (performance.now() - t) / n;
	}, steps);
	const t1 = Date.now();
	for (let i = 0; i < steps; i++)
		await p.keyboard.press('ArrowRight');
	await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
	const frame = (Date.now() - t1) / steps;
	console.log('first paint %d ms, ready %d ms, a step %s ms of script, %s ms to the next frame',
		Math.round(fcp), ready, script.toFixed(1), frame.toFixed(1));
	await b.close();
})().catch((e) => { console.error(String(e)); process.exit(1); });
