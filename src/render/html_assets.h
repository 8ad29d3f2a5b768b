/*
 * html_assets.h — the page templates of the HTML renderer, compiled in.
 *
 * Generated at build time by src/render/html/embed.py from
 * src/render/html/page.html, style.css and app.js, so the program needs no
 * file at run time. The page holds three markers the renderer fills in:
 * @CSS@, @DATA@ and @JS@.
 */
#ifndef TN_RENDER_HTML_ASSETS_H
#define TN_RENDER_HTML_ASSETS_H

extern const char tn_html_page[];
extern const char tn_html_css[];
extern const char tn_html_js[];

#endif
