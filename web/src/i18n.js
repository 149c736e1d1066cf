// The words of the pages, Chinese by default; English when the user switches (kept in a cookie the server reads too).

const WORDS = {
  zh: {
    search: '搜索 姓名 / 编号 / 芯片 / 二维码 / 企业代码', noResults: '无结果', signout: '退出', online: '在线', offline: '离线',
    reconnecting: '重连中', tabAlarms: '告警', tabLayers: '图层', tabQuery: '查询', layers: '图层', legend: '图例',
    g_districts: '区县', g_enterprises: '企业', g_sites: '厂区', g_zones: '电子围栏', g_permits: '作业票', g_people: '人员',
    g_welders: '焊机', g_cameras: '执法记录仪', g_trails: '轨迹', g_alarms: '告警', g_heat_welding: '焊接热力图',
    g_heat_alarms: '告警热力图', g_counts: '区县统计', g_district_counts: '区县统计', g_township_counts: '乡镇街道统计', basemap: '底图', g_basemap: '底图',
    g_townships: '乡镇街道', g_equipment: '特种设备', g_equipment_faults: '特种设备故障分布', equipment: '特种设备',
    g_heat_equipment_faults: '设备故障热力图', g_maintenance_units: '维保单位', g_rescue_stations: '救援站点', eqOpenDevice: '设备详情',
    region: '行政区划',
    allTypes: '全部类型', allSeverities: '全部级别', allStatuses: '未关闭', allDistricts: '全部区县', openAlarms: '待处理告警',
    acknowledge: '确认', dispatch: '派单', resolve: '处置', close: '关闭', confirm: '企业确认', comment: '处置说明',
    queued: '离线，已排队，联网后提交', sent: '已提交', failed: '提交失败', ended: '已结束', ongoing: '持续中',
    evidence: '证据', actions: '处置记录', flyTo: '定位', details: '详情', closeDetails: '关闭',
    name: '姓名', code: '编号', kind: '类型', enterprise: '企业', time: '时间', lastHeard: '最后上报', floor: '楼层',
    power: '电源', onlineState: '在线状态', yes: '是', no: '否', chip: '芯片号', qr: '二维码', mobility: '类别',
    accuracy: '定位精度', personType: '人员类型', capacity: '容量', insideNow: '当前区域内人员', status: '状态',
    ticketNo: '作业票号', ticketType: '作业类型', level: '级别', content: '作业内容', workers: '作业人员', guardian: '监护人',
    approver: '审批人', gasTests: '气体检测', validity: '有效期', video: '现场视频', openVideo: '打开视频', sites: '厂区',
    counts: '统计', address: '地址', industry: '行业', nearby: '附近', nearbyHint: '长按地图查询附近', distance: '距离',
    area: '区域查询', polygon: '多边形', rectangle: '矩形', circle: '圆形', exportCsv: '导出 CSV', inside: '区域内',
    subjectPerson: '人员', subjectWelder: '焊机', subjectCamera: '执法记录仪', severeAlarm: '严重告警', metres: '米',
    raisedAt: '报警时间', endedAt: '结束时间', zone: '区域', permit: '作业票', subject: '对象', none: '无',
    fences: '电子围栏编辑', authority: '管理单位', capacityMin: '最少人数', capacityMax: '最多人数', heightMin: '最低高度(米)',
    heightMax: '最高高度(米)', windowMode: '生效方式', timeWindows: '时段(逗号分隔)', drawFence: '绘制范围', save: '保存', retire: '停用', drawHint: '在地图上点击绘制，双击或点回起点结束',
    drawn: '范围已绘制', saved: '已保存', retired: '已停用', editing: '正在编辑', edit: '编辑围栏', playback: '轨迹回放', from: '开始', to: '结束', load: '加载',
    follow: '跟随', noTrack: '该时段无轨迹', stops: '停留点', trips: '行程', offlinePackage: '离线包',
    downloadView: '下载当前区域', dropPackage: '删除离线包', kept: '已保存', zoomLevels: '级别', noPackage: '尚无离线包',
    downloading: '正在下载…', permitsInProgress: '作业中的作业票',
    g_buildings: '建筑', peopleOnSite: '在场人员', machinesPowered: '焊机通电', permitBoard: '作业票看板', alarmTrend: '24小时告警趋势', safetyRules: '生命安全规则', changedBy: '24小时内被修改：', ruleOn: '已启用',
    byDistrict: '分区统计', allEnterprises: '全部企业', people: '人', outsiders: '外来人员', machines: '台焊机', last24h: '起（近24小时）',
    autoFollow: '自动跟踪', dispatchTool: '框选调度', dispatchSelection: '派单给所选人员', alarmToDispatch: '告警',
    codes: '编号（可多个，逗号分隔）', videoCameras: '现场视频通道', tracks: '条轨迹',
    videoPanel: '视频', videoConnecting: '正在连接…', videoLive: '实时', videoRecord: '录像', alarmClip: '告警录像', permitVideo: '作业视频', closeVideo: '关闭视频',
    videoNoPlatform: '未配置视频平台，无法播放', videoPlatformDown: '视频平台无响应', videoLayout: '画面布局', g_video: '视频监控', g_video_fov: '视场',
    channelCode: '通道编码', cameraKind: '类型', heading: '朝向', rangeM: '可视距离', holderCamera: '执法记录仪视频', videoOffered: '报警时的视频通道',
    groupCall: '视频组会', callStart: '发起视频组会', callAdd: '加入组会', callRemove: '移出组会', callEnd: '结束组会',
    callNoPlatform: '未配置融合通信平台，无法发起组会', call_ended: '组会已结束', call_failed: '组会未能发起',
    holder: '持有人', unit: '单位', phone: '电话', unbound: '未绑定', bindHolder: '绑定执法人员',
    aimCamera: '在地图上调整视场', aimHint: '先点摄像机位置，再点要看的地方', cameraAngle: '视角（度）',
    tabInspect: '执法', inspections: '执法计划', planDay: '检查日期', noPlans: '当日无执法计划', arrived: '到达', atSite: '在场：',
    planStops: '检查企业', planOfficers: '执法人员',
    eqRegistry: '设备注册代码', eqUser: '使用单位', eqKeeper: '维保单位', eqLive: '实时运行数据', eqNoReading: '尚无监测数据', eqFaults: '故障记录',
    eqFloor: '楼层', eqDirection: '运行方向', eqDoor: '门', eqSpeed: '速度', eqRunningH: '运行时间', eqRuns: '运行次数', eqLoad: '载重',
    eqUpkeepTitle: '维保与检验', eqUpkeep: '状态', eqMaintained: '最近维保', eqEvery: '周期', eqInspectionDue: '下次检验', eqInspected: '最近检验',
    eqPassed: '合格', eqFailed: '不合格', eqContract: '维保合同到期', eqServiceYears: '服役年限', years: '年', days: '天',
    eqStations: '最近救援站点', eqNoStation: '维保单位尚无救援站点', eqDispatched: '已派', eqArrived: '到场', eqOnTheWay: '赶赴中',
    eqCheckIn: '一键签到 (维保)', eqCheckedIn: '已签到, 维保已记录', eqLocating: '正在定位…', eqNoPosition: '无法获取位置',
    tabPermits: '作业票', pbTotal: '当日作业', pbWorking: '作业中', pbPaused: '暂停中', pbDone: '完成', pbLevels: '作业级别',
    pbNote: '八大特殊作业（一般作业不在上报接口内）',
    tabEquip: '特种设备', eqList: '特种设备', eqAllKinds: '全部类别', eqAllStates: '全部状态', eqAllUpkeep: '全部维保检验',
    eqSearch: '名称、注册代码、地址', eqExport: '导出', eqTotal: '共', eqTrend: '故障趋势 (按月)', eqReassign: '批量修改维保单位',
    eqFaultRecords: '故障记录导出', eqServiceAge: '服役年限分布', eqChosen: '已选', eqApply: '修改', eqAlarm: '报警信息', eqUpdated: '更新时间', eqPlace: '位置', eqName: '设备名称', eqCode: '设备 id',
    eqPressure: '压力', eqTemperature: '温度', eqWater: '水位', eq_up: '上行', eq_down: '下行', eq_stop: '停止', eq_open: '开', eq_closed: '关',
  },
  en: {
    search: 'Search name / ID / chip / QR / company code', noResults: 'No results', signout: 'Sign out', online: 'Online',
    offline: 'Offline', reconnecting: 'Reconnecting', tabAlarms: 'Alarms', tabLayers: 'Layers', tabQuery: 'Query',
    layers: 'Layers', legend: 'Legend', g_districts: 'Districts', g_enterprises: 'Enterprises', g_sites: 'Sites',
    g_zones: 'Fences', g_permits: 'Permits', g_people: 'People', g_welders: 'Welding machines', g_cameras: 'Body cameras',
    g_trails: 'Trails', g_alarms: 'Alarms', g_heat_welding: 'Welding heat map', g_heat_alarms: 'Alarm heat map',
    g_townships: 'Townships', g_equipment: 'Special equipment', g_equipment_faults: 'Equipment faults', equipment: 'Special equipment',
    g_heat_equipment_faults: 'Equipment fault heat map', g_maintenance_units: 'Maintenance units', g_rescue_stations: 'Rescue stations', eqOpenDevice: 'The device',
    region: 'Region',
    g_counts: 'District counts', g_district_counts: 'District counts', g_township_counts: 'Township counts', basemap: 'Base map', g_basemap: 'Base map',
    allTypes: 'All types', allSeverities: 'All severities', allStatuses: 'Not closed', allDistricts: 'All districts',
    openAlarms: 'Alarms to handle', acknowledge: 'Acknowledge',
    dispatch: 'Dispatch', resolve: 'Resolve', close: 'Close', confirm: 'Confirm', comment: 'Comment',
    queued: 'Offline: queued, sent on reconnect', sent: 'Sent', failed: 'Failed', ended: 'Ended', ongoing: 'Ongoing',
    evidence: 'Evidence', actions: 'Actions', flyTo: 'Show', details: 'Details', closeDetails: 'Close', name: 'Name',
    code: 'ID', kind: 'Kind', enterprise: 'Enterprise', time: 'Time', lastHeard: 'Last heard', floor: 'Floor',
    power: 'Power', onlineState: 'Online', yes: 'yes', no: 'no', chip: 'Chip', qr: 'QR code', mobility: 'Class',
    accuracy: 'Accuracy', personType: 'Person type', capacity: 'Capacity', insideNow: 'Inside now', status: 'Status',
    ticketNo: 'Permit no.', ticketType: 'Work type', level: 'Level', content: 'Work', workers: 'Workers',
    guardian: 'Guardian', approver: 'Approver', gasTests: 'Gas tests', validity: 'Valid', video: 'On-site video',
    openVideo: 'Open video', sites: 'Sites', counts: 'Counts', address: 'Address', industry: 'Industry',
    nearby: 'Nearby', nearbyHint: 'Press and hold the map for what is nearby', distance: 'Distance',
    area: 'Area query', polygon: 'Polygon', rectangle: 'Rectangle', circle: 'Circle', exportCsv: 'Export CSV',
    inside: 'Inside', subjectPerson: 'People', subjectWelder: 'Welding machines', subjectCamera: 'Body cameras',
    severeAlarm: 'Severe alarm', metres: 'm', raisedAt: 'Raised', endedAt: 'Ended', zone: 'Zone', permit: 'Permit',
    subject: 'Subject', none: 'none', fences: 'Fence editor', authority: 'Authority', capacityMin: 'Min people',
    capacityMax: 'Max people', heightMin: 'From height (m)', heightMax: 'To height (m)', windowMode: 'In force',
    timeWindows: 'Time windows (comma separated)', drawFence: 'Draw shape', save: 'Save', retire: 'Retire',
    drawHint: 'Click on the map to draw; double-click or close the ring to finish', drawn: 'Shape drawn', saved: 'Saved',
    retired: 'Retired', editing: 'Editing', edit: 'Edit fence', playback: 'Track playback', from: 'From', to: 'To',
    load: 'Load', follow: 'Follow', noTrack: 'No track in that time', stops: 'stops', trips: 'trips',
    offlinePackage: 'Offline package', downloadView: 'Take this view offline', dropPackage: 'Drop the package',
    kept: 'Kept', zoomLevels: 'zooms', noPackage: 'No offline package yet', downloading: 'Downloading…',
    permitsInProgress: 'Permits in progress',
    g_buildings: 'Buildings', peopleOnSite: 'People on site', machinesPowered: 'Machines powered', permitBoard: 'Permit board',
    alarmTrend: 'Alarms, last 24 h', safetyRules: 'Life-safety rules', changedBy: 'changed in the last 24 h by', ruleOn: 'on', byDistrict: 'By district', allEnterprises: 'All enterprises', people: 'people',
    outsiders: 'outsiders', machines: 'machines', last24h: 'in the last 24 h', autoFollow: 'Auto-follow', dispatchTool: 'Select and dispatch',
    dispatchSelection: 'Dispatch to the selection', alarmToDispatch: 'Alarm', codes: 'IDs (several, comma separated)', videoCameras: 'Cameras on the spot',
    tracks: 'tracks',
    videoPanel: 'Video', videoConnecting: 'Connecting…', videoLive: 'live', videoRecord: 'recording', alarmClip: 'Alarm clip', permitVideo: 'Work video', closeVideo: 'Close video',
    videoNoPlatform: 'No video platform configured: nothing can play', videoPlatformDown: 'The video platform does not answer', videoLayout: 'Layout',
    g_video: 'Cameras', g_video_fov: 'Fields of view', channelCode: 'Channel code', cameraKind: 'Kind', heading: 'Heading', rangeM: 'Range',
    holderCamera: 'Body camera video', videoOffered: 'Cameras offered',
    groupCall: 'Group call', callStart: 'Start a video call', callAdd: 'Add to the call', callRemove: 'Remove from the call', callEnd: 'End the call',
    callNoPlatform: 'No fusion-communication platform configured: calls are off', call_ended: 'The call has ended', call_failed: 'The call could not be placed',
    holder: 'Carried by', unit: 'Unit', phone: 'Phone', unbound: 'not bound', bindHolder: 'Bind an officer',
    aimCamera: 'Aim on the map', aimHint: 'Click where the camera stands, then what it should see', cameraAngle: 'Angle (degrees)',
    tabInspect: 'Enforcement', inspections: 'Inspection plans', planDay: 'Day', noPlans: 'No inspection planned that day',
    arrived: 'arrived', atSite: 'on site:', planStops: 'Enterprises to inspect', planOfficers: 'Officers',
    eqRegistry: 'Registry code', eqUser: 'Using unit', eqKeeper: 'Maintenance unit', eqLive: 'Live reading', eqNoReading: 'No reading yet', eqFaults: 'Faults',
    eqFloor: 'Floor', eqDirection: 'Direction', eqDoor: 'Door', eqSpeed: 'Speed', eqRunningH: 'Running time', eqRuns: 'Runs', eqLoad: 'Load',
    eqUpkeepTitle: 'Maintenance and inspection', eqUpkeep: 'State', eqMaintained: 'Last maintained', eqEvery: 'every', eqInspectionDue: 'Next inspection', eqInspected: 'Last inspected',
    eqPassed: 'passed', eqFailed: 'failed', eqContract: 'Contract ends', eqServiceYears: 'In service', years: 'years', days: 'days',
    eqStations: 'Nearest rescue stations', eqNoStation: 'The unit has no rescue station', eqDispatched: 'Sent', eqArrived: 'arrived', eqOnTheWay: 'on the way',
    eqCheckIn: 'Check in (maintenance)', eqCheckedIn: 'Checked in; maintenance recorded', eqLocating: 'Locating…', eqNoPosition: 'No position',
    tabPermits: 'Permits', pbTotal: 'Today', pbWorking: 'In progress', pbPaused: 'Paused', pbDone: 'Done', pbLevels: 'Levels',
    pbNote: 'the eight special operations (general work is not reported)',
    tabEquip: 'Equipment', eqList: 'Special equipment', eqAllKinds: 'All kinds', eqAllStates: 'All states', eqAllUpkeep: 'All upkeep',
    eqSearch: 'Name, registry code, address', eqExport: 'Export', eqTotal: 'Total', eqTrend: 'Faults per month', eqReassign: 'Reassign maintenance unit',
    eqFaultRecords: 'Fault records', eqServiceAge: 'Service age by district', eqChosen: 'chosen', eqApply: 'Apply', eqAlarm: 'Alarm', eqUpdated: 'Updated', eqPlace: 'Place', eqName: 'Name', eqCode: 'ID',
    eqPressure: 'Pressure', eqTemperature: 'Temperature', eqWater: 'Water level', eq_up: 'up', eq_down: 'down', eq_stop: 'stopped', eq_open: 'open', eq_closed: 'closed',
  },
};

let current = 'zh';

export function setLang(lang) {
  current = WORDS[lang] ? lang : 'zh';
  document.documentElement.lang = current === 'en' ? 'en' : 'zh-CN';
}

export function lang() {
  return current;
}

export function t(key) {
  return WORDS[current][key] ?? WORDS.zh[key] ?? key;
}

/** Switch the language: the cookie is read by the server for its own words; the page reloads in the new one. */
export function switchLang() {
  const next = current === 'zh' ? 'en' : 'zh';
  document.cookie = `lang=${next}; path=/; max-age=31536000; samesite=lax`;
  window.location.reload();
}
