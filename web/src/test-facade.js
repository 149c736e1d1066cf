// window.__test: what the browser tests (and a person at the console) may ask of a page, in the page's own terms:
// where the view is, what is drawn, what the streams and the alarm queue hold. Tests speak to this and to data-*
// attributes, never to the modules' fields, so a module may change inside without a test noticing. `parts` is filled
// in as the page starts; every answer reads it when asked.

export function testFacade(parts) {
  const map = () => parts.map;
  const lonLat = (p) => [p.lng, p.lat];
  window.__test = {
    // --- both pages --------------------------------------------------------------------------------------------
    /** The subjects the live stream holds now: id, code, kind, open alarm's severity (or ''). */
    subjects: () => [...(parts.subjects?.values() ?? [])].map((p) => ({ id: p.id, code: p.code, kind: p.kind, alarm: p.alarm })),
    subject: (id) => {
      const p = parts.subjects?.get(id);
      return p ? { id: p.id, code: p.code, kind: p.kind, alarm: p.alarm, lon: p.lon, lat: p.lat } : null;
    },
    /** The streams' states (EventSource readyState: 1 open) and the area the live stream covers. */
    streams: () => ({
      live: parts.subjects?.stream.es?.readyState ?? null,
      alarms: parts.board?.es?.readyState ?? null,
      box: parts.subjects?.stream.box ?? null,
    }),
    /** What the user has chosen ({kind, id}), or null. */
    selected: () => parts.selection?.current ?? null,
    /** Alarm actions waiting for the network. */
    queued: () => parts.board?.queued() ?? 0,
    alarmShown: (id) => parts.board?.alarms.has(id) ?? false,
    /** The video panel: its layout, whether it is shown, and each tile's channel, mode, state, window, position. */
    videos: () => parts.video?.describe() ?? null,
    /** Open a channel in the video panel (live), as a click on a camera would; and choose the panel's layout. */
    openVideo: (code, name = code) => { parts.video.open({ code, name }); },
    videoLayout: (name) => parts.video.setLayout(name),
    /** The open group call (id, status, the parties present by name), or its last state. */
    call: () => parts.calls?.describe() ?? null,

    // --- the 2D map ----------------------------------------------------------------------------------------------
    /** Style, tiles and the first live snapshot all in. */
    idle: () => !!map() && map().isStyleLoaded() && map().loaded() && (parts.subjects?.byId.size ?? 0) > 0,
    loaded: () => !!map() && map().isStyleLoaded() && map().loaded(),
    jumpTo: (center, zoom) => map().jumpTo({ center, zoom }),
    fitBounds: (bounds) => map().fitBounds(bounds, { animate: false, padding: 40 }),
    /** Ask the tiles for the view again (after a fit, MapLibre may still use overzoomed ones). */
    settle: () => map().zoomTo(map().getZoom(), { animate: false }),
    center: () => lonLat(map().getCenter()),
    project: ([lon, lat]) => {
      const p = map().project([lon, lat]);
      return [p.x, p.y];
    },
    unproject: ([x, y]) => lonLat(map().unproject([x, y])),
    /** A property of the features a layer draws now (queryRenderedFeatures). */
    rendered: (layer, prop) => map().queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties[prop]),
    /** The last drawn area's geometry. */
    area: () => parts.area?.last?.geometry ?? null,
    /** The inspection plans shown in the 执法 tab (progress, each stop's status, each officer's stop and channel). */
    inspections: () => parts.inspections?.describe() ?? null,
    /** Track playback: null until a track is loaded, then where its marker is. */
    playback: () => (parts.playback?.track ? { marker: parts.playback.marker?.getLngLat().toArray() ?? null } : null),

    // --- the 3D wall ---------------------------------------------------------------------------------------------
    flyTo: (lonlat, range, duration) => parts.command.flyTo(lonlat, range, duration),
    toScreen: (lon, lat, h = 0) => parts.command.toScreen(lon, lat, h),
    identify: (x, y) => parts.command.identify(x, y),
    /** A subject's point on the wall: shown, outline width, alarm. */
    drawn: (id) => parts.live3d?.drawn(id) ?? null,
    drawnCounts: () => parts.live3d?.count() ?? null,
    tiles: () => parts.layers?.tileset?.root.children.length ?? null,
    siteIds: () => [...new Set((parts.layers?.groups.sites ?? []).map((e) => e.properties.id.getValue()))],
    refreshSafetyRules: () => parts.panels.refreshSafetyRules(),
    /** Where a subject is at the playback clock (3D playback). */
    playbackAt: (code) => parts.playback?.where(code) ?? null,
    /** Frames the wall's scene renders in `ms` (its own render loop) and the median time one takes. */
    countFrames: (ms) => new Promise((resolve) => {
      const scene = parts.viewer.scene;
      const costs = [];
      let began = 0;
      const offPre = scene.preRender.addEventListener(() => { began = performance.now(); });
      const offPost = scene.postRender.addEventListener(() => costs.push(performance.now() - began));
      setTimeout(() => {
        offPre(); offPost();
        costs.sort((a, b) => a - b);
        resolve({ frames: costs.length, render_ms_median: costs[Math.floor(costs.length / 2)] ?? null });
      }, ms);
    }),
    /** Finish a dispatch area with this ring (lon/lat): the codes it selected. */
    dispatchArea: (ring) => parts.dispatch.finish(ring),
  };
}
